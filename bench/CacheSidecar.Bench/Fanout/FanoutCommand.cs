using System.Globalization;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// <c>fanout</c>: invalidation fan-out against the number of instances (DESIGN §11), the old classic channel next to
/// the sharded per-namespace channels, then the table on stdout, the <c>## Invalidation fan-out</c> section of
/// docs/benchmarks.md and docs/benchmarks-fanout.png.
/// </summary>
internal static class FanoutCommand
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fanout: {options.Rate:N0} invalidations/s over {options.Namespaces} namespaces for"
            + $" {options.DurationSeconds} s per point; instances {string.Join(", ", options.Instances)};"
            + $" each follows {options.Follow} namespaces (or all)"));
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        var results = await FanoutBenchmark.RunAsync(options, cancellationToken);
        var (_, plotProblem) = FanoutPlot.TryWrite(RepositoryPaths.FanoutPlot, results);
        var report = FanoutReport.Render(options, machine, MachineInfo.LoadAverage(), results, plotProblem);
        Console.WriteLine();
        Console.WriteLine(FanoutReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);
        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, FanoutReport.Heading, report);
        Console.WriteLine($"Wrote the '{FanoutReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var problems = results.Points.Where(point => !point.Complete)
            .Select(point => $"{point.Scheme.Name}, {point.Instances} instances: lost {point.Lost}, gaps {point.Gaps},"
                + $" delivered {point.Delivered} of {point.Expected}, {point.Problem ?? "no error"}")
            .Concat(plotProblem is null ? [] : [$"plot: {plotProblem}"])
            .ToList();
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return problems.Count == 0 ? 0 : WriteBehindCommand.Incomplete;
    }
}
