using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.WriteBehind;
using CacheSidecar.Contracts.V1;
using Grpc.Net.Client;
using StackExchange.Redis;

namespace CacheSidecar.Bench.Api;

/// <summary>
/// The cache-shaped API's rows — Get hit (plain and tagged), Put, Increment per strategy, BatchPut —
/// in one run against one sidecar process, one shared GrpcChannel and the same concurrency, each row
/// <see cref="BenchOptions.ApiRepetitions"/> times.
/// </summary>
internal static class ApiBenchmark
{
    /// <summary>How long a write-behind backlog may take to drain before the next run starts anyway.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(50);

    public static async Task<ApiResults> RunAsync(BackingServers servers, BenchOptions options, CancellationToken cancellationToken)
    {
        var (sidecar, writeBehindSkipped) = await StartSidecarAsync(servers, cancellationToken);
        await using (sidecar)
        {
            Console.WriteLine($"Sidecar pid {sidecar.Pid} on {sidecar.Address}; {options.Concurrency} callers, {BenchOptions.ApiRepetitions} rounds of {BenchOptions.WarmUp.TotalSeconds:0} s warm-up + {options.DurationSeconds} s per scenario.");
            using var channel = GrpcChannel.ForAddress(sidecar.Address);
            var cache = new Cache.CacheClient(channel);

            Console.WriteLine("Prefill (Get-hit keys, plain and tagged) ...");
            await Prefill.GetHitKeysAsync(cache, BenchNamespaces.GetHit, ApiScenarios.GetHitKeys, options.Concurrency, cancellationToken);
            await Prefill.GetHitKeysAsync(cache, BenchNamespaces.TaggedGetHit, ApiScenarios.TaggedKeys, options.Concurrency, cancellationToken, ApiScenarios.TagsOf);

            var scenarios = ApiScenarios.Build(cache);
            var runnable = scenarios.Where(s => writeBehindSkipped is null || !ApiScenarios.IsWriteBehind(s)).ToList();
            var runs = scenarios.ToDictionary(s => s.Name, _ => new List<ApiRun>(), StringComparer.Ordinal);
            var meter = new ScenarioMeter(servers, sidecar, options.Concurrency, options.Duration);
            var redis = servers.Redis.GetDatabase();

            // In a trial run with only the per-run warm-up, round 1 came out far below rounds 2 and 3 on
            // every row: both processes were fresh (first use of each path, tiered JIT that takes longer
            // on 2 busy cores). One unrecorded pass over every row first, so each round starts equally warm.
            var perRun = BenchOptions.WarmUp + options.Duration;
            var estimate = (BenchOptions.WarmUp + (perRun * BenchOptions.ApiRepetitions)) * runnable.Count;
            Console.WriteLine($"Warm-up pass ({BenchOptions.WarmUp.TotalSeconds:0} s per row, not recorded), then the rounds: about {estimate.TotalMinutes:F1} min plus write-behind drains ...");
            foreach (var scenario in runnable)
            {
                _ = await ClosedLoopLoad.RunAsync(scenario.Name, options.Concurrency, BenchOptions.WarmUp, TimeSpan.Zero, scenario.Operation, cancellationToken);
                if (scenario.WriteBehindNamespace is { } ns)
                {
                    _ = await DrainAsync(redis, ns, cancellationToken);
                }
            }

            // Round by round rather than row by row: a slow spell on the shared machine then costs one
            // run of several rows (which the median absorbs) instead of every run of one row.
            for (var round = 1; round <= BenchOptions.ApiRepetitions; round++)
            {
                Console.WriteLine($"Round {round} of {BenchOptions.ApiRepetitions}:");
                foreach (var scenario in runnable)
                {
                    var result = await meter.MeasureAsync(
                        scenario.Name, scenario.Operation, cancellationToken,
                        unit: scenario.ItemsPerCall > 1 ? "items" : null, perCall: scenario.ItemsPerCall);
                    var drain = scenario.WriteBehindNamespace is { } ns ? await DrainAsync(redis, ns, cancellationToken) : (WriteBehindDrain?)null;
                    runs[scenario.Name].Add(new ApiRun(result, drain));
                }
            }

            var rows = scenarios
                .Select(s => runs[s.Name].Count > 0
                    ? new ApiRow(s.Name, s.ItemsPerCall, runs[s.Name], null)
                    : ApiRow.Skipped(s, writeBehindSkipped ?? "not run"))
                .ToList();
            return new ApiResults(rows, writeBehindSkipped);
        }
    }

    /// <summary>
    /// Waits until the flushers have emptied <paramref name="ns"/>'s backlog, so the next run (of any
    /// row) does not share the two cores with this one's store writes; gives up after <see cref="DrainLimit"/>.
    /// </summary>
    private static async Task<WriteBehindDrain> DrainAsync(IDatabase redis, string ns, CancellationToken cancellationToken)
    {
        var backlogAfter = await WriteBehindBacklog.ReadAsync(redis, ns);
        var clock = Stopwatch.StartNew();
        var backlog = backlogAfter;
        while (backlog > 0)
        {
            if (clock.Elapsed > DrainLimit)
            {
                Console.WriteLine($"    !! {ns}: backlog still {backlog:N0} after {DrainLimit.TotalSeconds:0} s; going on");
                return new WriteBehindDrain(backlogAfter, null);
            }

            await Task.Delay(DrainPoll, cancellationToken);
            backlog = await WriteBehindBacklog.ReadAsync(redis, ns);
        }

        Console.WriteLine($"    {ns}: backlog {backlogAfter:N0} after the run, drained in {clock.Elapsed.TotalSeconds:F1} s");
        return new WriteBehindDrain(backlogAfter, clock.Elapsed);
    }

    /// <summary>
    /// One sidecar with every namespace of the command. A build that refuses WriteBehind is started
    /// again without those namespaces, so the other rows still run and the report says what was skipped.
    /// </summary>
    private static async Task<(SidecarProcess Sidecar, string? WriteBehindSkipped)> StartSidecarAsync(BackingServers servers, CancellationToken cancellationToken)
    {
        Dictionary<string, string> WithoutWriteBehind() => BenchNamespaces.Backends(servers)
            .WithCacheAside(BenchNamespaces.GetHit)
            .WithCacheAside(BenchNamespaces.TaggedGetHit)
            .WithWriteThrough(BenchNamespaces.ApiPutWriteThrough)
            .WithPureCache(BenchNamespaces.IncrementPureCache)
            .WithWriteThrough(BenchNamespaces.IncrementWriteThrough);

        var withWriteBehind = WithoutWriteBehind()
            .WithWriteBehind(BenchNamespaces.IncrementWriteBehind, batchSize: 500)
            .WithWriteBehind(BenchNamespaces.BatchPutWriteBehind, batchSize: 500)
            .WithFlushers(run: true);
        try
        {
            return (await BenchSidecar.StartAsync("api", withWriteBehind, cancellationToken), null);
        }
        catch (SidecarExitedException ex) when (BenchNamespaces.IsWriteBehindUnavailable(ex))
        {
            const string reason = "WriteBehind is not available in this build (the sidecar refused to start with it)";
            Console.WriteLine($"!! {reason}; measuring the other rows without it.");
            return (await BenchSidecar.StartAsync("api", WithoutWriteBehind(), cancellationToken), reason);
        }
    }
}
