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

        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"uds: {options.Concurrency} callers, {options.DurationSeconds} s per closed-loop run; {UdsBenchmark.Rate:N0} req/s for {options.RateDurationSeconds} s; {BenchOptions.UdsRepetitions} rounds; sidecar {RepositoryPaths.SidecarAssembly}");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var results = await UdsBenchmark.RunAsync(servers, options, cancellationToken);

        var report = UdsReport.Render(options, machine, servers.RedisVersion, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(UdsReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, UdsReport.Heading, report);
        Console.WriteLine($"Wrote the '{UdsReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var problems = results.Problems().ToList();
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return problems.Count == 0 ? 0 : Incomplete;
    }
}
