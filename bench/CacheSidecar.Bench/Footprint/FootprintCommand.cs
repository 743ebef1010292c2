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
        return await SectionCommand.RunAsync(
            options,
            $"footprint: {levers.Count} levers ({string.Join(", ", levers.Select(l => l.Key))}); {options.Starts} starts each; Get hits at {LeverMeasurement.Rate:N0} req/s for {BenchOptions.WarmUp.TotalSeconds:0} + {options.DurationSeconds} s",
            FootprintReport.Heading,
            servers => FootprintBenchmark.RunAsync(levers, servers, options, cancellationToken),
            (machine, redisVersion, loadAverage, results) => FootprintReport.Render(options, machine, redisVersion, loadAverage, results),
            results => results.Baseline is { Served: false } baseline
                ? [$"the baseline row has no clean numbers: {baseline.Problem}"]
                : [],
            cancellationToken);
    }
}
