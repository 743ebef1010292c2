using CacheSidecar.Configuration;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// The checker with a fault: the run's own Redis (AOF <c>appendfsync always</c>) is SIGKILLed mid-run and
/// restarted from its AOF on the same port, while two sidecars and sixteen clients keep going. Calls may fail
/// during the outage (write-behind answers UNAVAILABLE by design); every other rule holds as in steady
/// state: no acknowledged write lost, and no stale read at all. The entries Redis brings back from disk were
/// right when it died, but invalidations missed during the outage make some of them stale: DESIGN §6 wants
/// them gone before anything is read again.
/// </summary>
[Collection(typeof(FaultRunsCollection))]
public sealed class RedisRestartConsistencyTests(ITestOutputHelper output)
{
    private const int Clients = 16;
    private const int HotKeys = 20;
    private const int MinOperations = 600;
    private static readonly TimeSpan KillAt = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan RestartAt = KillAt + TimeSpan.FromSeconds(3);

    // Past the sidecars' circuit break (5 s by default, from about the kill), so the run also sees them
    // serving from the restarted Redis, not only falling back to the store.
    private static readonly TimeSpan AfterRestart = TimeSpan.FromSeconds(4);

    /// <remarks>
    /// Cache-aside and write-through run with <c>OnCacheUnreachable: Fail</c>: with the default (<c>UseStore</c>)
    /// an instance still reconnecting after the restart acknowledges writes with the invalidation deferred while
    /// the other already serves from Redis (measured up to 262 ms stale), the short asymmetric partition that
    /// docs/guarantees.md states for that mode.
    /// </remarks>
    [Theory]
    [InlineData(CacheStrategy.WriteBehind)]
    [InlineData(CacheStrategy.CacheAside)]
    [InlineData(CacheStrategy.WriteThrough)]
    public async Task Redis_sigkilled_and_restarted_mid_run_loses_no_acknowledged_write_and_serves_no_stale_read(
        CacheStrategy strategy)
    {
        await using var redis = await RedisServerProcess.StartAsync(
            new RedisServerOptions { Persistence = RedisPersistence.AofAlways, RequireProcessControl = true });
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        if (store.WireServer is { } wire)
        {
            wire.ResponseDelay = TimeSpan.FromMilliseconds(1);
        }

        await using var run = new ConsistencyRun(redis.EndPoint, store.ConnectionString, strategy);
        await run.StartSidecarsAsync(2, strategy == CacheStrategy.WriteBehind
            ? null
            : new Dictionary<string, string?> { [$"Sidecar__Namespaces__{run.Namespace}__OnCacheUnreachable"] = "Fail" });
        var report = new FaultRunReport();
        var history = await run.RunClientsAsync(Clients, HotKeys, RestartAt + AfterRestart, seed: 40 + (int)strategy,
            MinOperations, route: null,
            faults: async started =>
            {
                await ConsistencyRun.DelayUntilAsync(started, KillAt);
                report.Mark($"SIGKILL {redis}");
                redis.Kill();
                report.Mark("Redis gone");
                await ConsistencyRun.DelayUntilAsync(started, RestartAt);
                report.Mark("restarting Redis from its AOF");
                await redis.RestartAsync();
                report.Mark($"Redis answers PING again ({redis})");
            },
            afterFaults: AfterRestart);

        // The end state is judged once every sidecar uses Redis again (circuit closed, missed invalidations
        // replayed) and write-behind has drained: "at the end" means after the recovery.
        await run.WaitUntilEverySidecarReachesRedisAsync(TimeSpan.FromSeconds(60));
        report.Mark("both sidecars reach Redis again");

        // A flusher can be handed entries around the restart without seeing them; it reads its own entries in every
        // partition once a second (NamespaceFlusher.OwnEntriesSweepInterval), so they drain within seconds. The bound
        // stays under ReclaimAfter (30 s): before the sweep, such entries waited for another flusher's reclaim, and
        // drains took 30 to 48 s in about one run in three.
        var drain = await run.WaitForWriteBehindDrainAsync(TimeSpan.FromSeconds(20),
            late => report.Mark($"write-behind not drained 10 s after both sidecars reached Redis:\n{late}"));
        report.Mark($"write-behind drained ({drain.TotalSeconds:0.0} s after both sidecars reached Redis)");
        for (var sidecar = 0; sidecar < 2 && drain > TimeSpan.FromSeconds(10); sidecar++)
        {
            // What the flushers said while the drain was late (the sidecars log at Warning and above).
            foreach (var line in run.SidecarLog(sidecar, "flush").TakeLast(10))
            {
                output.WriteLine($"  sidecar {sidecar}: {line.Trim()}");
            }
        }

        var final = await run.ReadFinalStateAsync(history.Select(op => op.Key).Distinct());
        var result = HistoryChecker.Check(history, final, allowedStaleness: TimeSpan.Zero, failuresExpected: true);
        report.Write(output, $"{strategy}, Redis SIGKILLed and restarted", history, result);

        Assert.True(history.Count >= MinOperations, $"only {history.Count} operations: the run proves little");
        Assert.True(history.Any(op => !op.Ok), "no call failed: the outage was not felt");
        Assert.True(result.Violations.Count == 0,
            $"{result.Summary()}\n{string.Join('\n', report.Timeline)}\n"
            + string.Join('\n', result.Violations.Take(20)));
        Assert.Empty(result.StaleReads);
    }
}
