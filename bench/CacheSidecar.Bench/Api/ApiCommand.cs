using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Api;

/// <summary>
/// <c>api</c>: throughput and latency of the cache-shaped calls (tagged Get, Increment per strategy,
/// BatchPut) next to the plain Get hit and Put, then the table on stdout and the
/// <c>## Cache-shaped API</c> section of docs/benchmarks.md.
/// </summary>
internal static class ApiCommand
{
    /// <summary>Exit code when the report was written but something could not be measured or had errors.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    public static Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken) =>
        SectionCommand.RunAsync(
            options,
            $"api: {options.DurationSeconds} s per scenario, {BenchOptions.ApiRepetitions} repetitions, {options.Concurrency} callers; sidecar {RepositoryPaths.SidecarAssembly}",
            ApiReport.Heading,
            servers => ApiBenchmark.RunAsync(servers, options, cancellationToken),
            (machine, redisVersion, loadAverage, results) => ApiReport.Render(options, machine, redisVersion, loadAverage, results),
            results => results.Complete ? [] : ["some rows are missing, had errors or left a backlog (see the report)."],
            cancellationToken);
}
