using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>
/// <c>writebehind</c>: part 1 (throughput next to its baselines), part 2 (flusher drain rate per batch
/// size), then the table on stdout and the <c>## Write-behind</c> section of docs/benchmarks.md.
/// </summary>
internal static class WriteBehindCommand
{
    /// <summary>Exit code when the report was written but something could not be measured.</summary>
    public const int Incomplete = 3;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"writebehind: {options.DurationSeconds} s per scenario, {options.Concurrency} callers, {options.Docs:N0} docs; sidecar {RepositoryPaths.SidecarAssembly}");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        Console.WriteLine("Throughput:");
        var throughput = await ThroughputBenchmark.RunAsync(servers, options, cancellationToken);

        IReadOnlyList<FlushResult>? flush = null;
        var flushSkipped = throughput.WriteBehindSkipped;
        if (flushSkipped is null)
        {
            Console.WriteLine("Flusher throughput:");
            flush = await FlusherBenchmark.RunAsync(servers, options, cancellationToken);
        }

        var report = WriteBehindReport.Render(options, machine, servers.RedisVersion, MachineInfo.LoadAverage(), throughput, flush, flushSkipped);
        Console.WriteLine();
        Console.WriteLine(WriteBehindReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, WriteBehindReport.Heading, report);
        Console.WriteLine($"Wrote the '{WriteBehindReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var complete = throughput.WriteBehindSkipped is null
            && throughput.Scenarios.All(s => s.Load.Errors + s.Load.Unexpected == 0)
            && flush is not null && flush.All(f => f.Problem is null);
        if (!complete)
        {
            await Console.Error.WriteLineAsync("Incomplete: some numbers are missing or had errors (see the report).");
        }

        return complete ? 0 : Incomplete;
    }
}
