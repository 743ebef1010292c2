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

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"api: {options.DurationSeconds} s per scenario, {BenchOptions.ApiRepetitions} repetitions, {options.Concurrency} callers; sidecar {RepositoryPaths.SidecarAssembly}");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var results = await ApiBenchmark.RunAsync(servers, options, cancellationToken);

        var report = ApiReport.Render(options, machine, servers.RedisVersion, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(ApiReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, ApiReport.Heading, report);
        Console.WriteLine($"Wrote the '{ApiReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        if (!results.Complete)
        {
            await Console.Error.WriteLineAsync("Incomplete: some rows are missing, had errors or left a backlog (see the report).");
        }

        return results.Complete ? 0 : Incomplete;
    }
}
