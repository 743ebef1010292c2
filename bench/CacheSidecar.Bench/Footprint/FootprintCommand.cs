using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// <c>footprint</c>: start-to-ready, memory under a fixed load, size on disk and latency of the
/// sidecar for each lever (a runtime knob or a publish variant) against the shipped build, then the
/// table on stdout and the <c>## Footprint, lever by lever</c> section of docs/benchmarks.md.
/// </summary>
internal static class FootprintCommand
{
    /// <summary>Exit code when the report was written but the baseline row has no numbers.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BenchFailedException("footprint reads /proc/<pid>/smaps_rollup and publishes for linux-x64: Linux only.");
        }

        var levers = options.FootprintLevers is { } keys ? FootprintLevers.Select(keys) : FootprintLevers.Default;
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"footprint: {levers.Count} levers ({string.Join(", ", levers.Select(l => l.Key))}); {options.Starts} starts each; Get hits at {LeverMeasurement.Rate:N0} req/s for {BenchOptions.WarmUp.TotalSeconds:0} + {options.DurationSeconds} s");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: fewer levers or parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var results = await FootprintBenchmark.RunAsync(levers, servers, options, cancellationToken);

        var report = FootprintReport.Render(options, machine, servers.RedisVersion, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(FootprintReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, FootprintReport.Heading, report);
        Console.WriteLine($"Wrote the '{FootprintReport.Heading}' section of {RepositoryPaths.BenchmarksDocument} ({results.Elapsed.TotalMinutes:F1} min).");

        if (results.Baseline is { } baseline && !baseline.Served)
        {
            await Console.Error.WriteLineAsync($"Incomplete: the baseline row has no clean numbers: {baseline.Problem}");
            return Incomplete;
        }

        return 0;
    }
}
