using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Uds;

/// <summary>
/// <c>uds</c>: the same calls over TCP and over a Unix domain socket of one sidecar process, then the
/// table on stdout and the <c>## Unix domain socket vs TCP</c> section of docs/benchmarks.md.
/// </summary>
internal static class UdsCommand
{
    /// <summary>Exit code when the report was written but a row had errors or did not keep up.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new BenchFailedException("uds needs Unix domain sockets as the sidecar listens on them (Linux or macOS).");
        }

        return await SectionCommand.RunAsync(
            options,
            $"uds: {options.Concurrency} callers, {options.DurationSeconds} s per closed-loop run; {UdsBenchmark.Rate:N0} req/s for {options.RateDurationSeconds} s; {BenchOptions.UdsRepetitions} rounds; sidecar {RepositoryPaths.SidecarAssembly}",
            UdsReport.Heading,
            servers => UdsBenchmark.RunAsync(servers, options, cancellationToken),
            (machine, redisVersion, loadAverage, results) => UdsReport.Render(options, machine, redisVersion, loadAverage, results),
            results => results.Problems(),
            cancellationToken);
    }
}
