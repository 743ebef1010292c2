using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;

namespace CacheSidecar.Bench.Alloc;

/// <summary>One benchmark's result.</summary>
/// <param name="Name">e.g. "Get hit".</param>
/// <param name="Transport">TestServer, Kestrel, or "–" for the direct Redis GET.</param>
/// <param name="AllocatedBytesPerCall">Bytes allocated on the managed heap per call, every thread of the process.</param>
/// <param name="MeanMicroseconds">BenchmarkDotNet's mean time per call (one call at a time: a latency, not a throughput).</param>
/// <param name="Problem">Why there is no number, or null.</param>
internal sealed record AllocRow(string Name, string Transport, long? AllocatedBytesPerCall, double? MeanMicroseconds, string? Problem);

/// <summary>
/// <c>alloc</c>: bytes allocated per call with BenchmarkDotNet's <c>[MemoryDiagnoser]</c>, using the
/// in-process toolchain (the default one builds a separate project, which under this repository's
/// central package management and warnings-as-errors build settings is fragile, and would not run the
/// same build). Writes <c>## Allocations</c>.
/// </summary>
internal static class AllocCommand
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        var job = (options.Quick ? Job.ShortRun : Job.Default.WithWarmupCount(5).WithIterationCount(15))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId(options.Quick ? "ShortRun-InProcess" : "InProcess");
        var artifacts = Path.Combine(Path.GetTempPath(), "cachesidecar-bench-alloc");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);

        Console.WriteLine($"alloc: BenchmarkDotNet, {job.Id}, artifacts in {artifacts}");
        // BenchmarkDotNet runs synchronously and cannot be cancelled midway; Ctrl+C ends the process
        // (the ProcessExit hooks kill any redis-server it started).
        var summaries = await Task.Run(() => BenchmarkRunner.Run([typeof(SidecarCallAllocations), typeof(RedisGetAllocations)], config), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var rows = summaries.SelectMany(Rows).ToList();
        var report = AllocReport.Render(options, machine, MachineInfo.LoadAverage(), rows);
        Console.WriteLine();
        Console.WriteLine(AllocReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);
        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, AllocReport.Heading, report);
        Console.WriteLine($"Wrote the '{AllocReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var complete = rows.Count == 5 && rows.All(r => r.Problem is null); // 2 calls × 2 transports + the direct GET
        if (!complete)
        {
            await Console.Error.WriteLineAsync("Incomplete: some benchmarks have no result (see the report).");
        }

        return complete ? 0 : FastPath.FastPathCommand.Incomplete;
    }

    private static IEnumerable<AllocRow> Rows(Summary summary)
    {
        foreach (var report in summary.Reports)
        {
            var benchmark = report.BenchmarkCase;
            var name = benchmark.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
            var transport = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == nameof(SidecarCallAllocations.Transport))?.Value?.ToString() ?? "–";
            if (!report.Success || report.ResultStatistics is null)
            {
                yield return new AllocRow(name, transport, null, null, "the benchmark did not run to completion (see BenchmarkDotNet's log)");
                continue;
            }

            var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmark);
            yield return new AllocRow(name, transport, bytes, report.ResultStatistics.Mean / 1000.0, bytes is null ? "no allocation figure" : null);
        }
    }
}
