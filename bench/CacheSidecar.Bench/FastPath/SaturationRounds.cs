using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.FastPath;

/// <summary>Part 2, round by round: the closed-loop rows, with the sidecar's allocation read around the Get hit.</summary>
internal sealed class SaturationRounds(BackingServers servers, SidecarProcess sidecar, FastPathCalls calls, FastPathConfiguration configuration, BenchOptions options)
{
    private readonly ScenarioMeter _meter = new(servers, sidecar, options.Concurrency, options.Duration);
    private readonly Dictionary<string, List<SaturationRun>> _runs = [];
    private readonly List<ServerAllocation> _allocations = [];
    private readonly List<long> _backlogs = [];

    private IReadOnlyList<(string Name, Operation Operation, int KeysPerCall)> Rows =>
    [
        (FastPathScenarios.DirectRedis, calls.DirectRedisGet, 1),
        (FastPathScenarios.NoOp, calls.ListNamespaces, 1),
        (FastPathScenarios.GetHit, calls.GetHit, 1),
        .. configuration.NearCache ? [(FastPathScenarios.NearCacheGet, (Operation)calls.NearCacheGet, 1)] : Array.Empty<(string, Operation, int)>(),
        (FastPathScenarios.BatchGet10, calls.BatchGet(10), 10),
        (FastPathScenarios.BatchGet100, calls.BatchGet(100), 100),
        (FastPathScenarios.PutCacheAside, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutCacheAside, queued: false), 1),
        (FastPathScenarios.PutWriteThrough, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutWriteThrough, queued: false), 1),
        (FastPathScenarios.PutTtl, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutTtl, queued: false), 1),
        (FastPathScenarios.PutPureCache, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutPureCache, queued: false), 1),
        .. configuration.WriteBehind ? [(FastPathScenarios.PutWriteBehind, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutWriteBehind, queued: true), 1)] : Array.Empty<(string, Operation, int)>(),
    ];

    /// <summary>One unrecorded warm-up of every row.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, operation, _) in Rows)
        {
            _ = await ClosedLoopLoad.RunAsync(name, options.Concurrency, BenchOptions.WarmUp, TimeSpan.Zero, operation, cancellationToken);
            sidecar.ThrowIfExited();
        }

        await DrainWriteBehindAsync(cancellationToken);
    }

    public async Task RunAsync(int round, CancellationToken cancellationToken)
    {
        foreach (var (name, operation, keysPerCall) in Rows)
        {
            if (name == FastPathScenarios.GetHit)
            {
                await MeasureGetHitAsync(round, operation, cancellationToken);
                continue;
            }

            var before = name == FastPathScenarios.NearCacheGet ? await sidecar.ScrapeMetricsAsync(cancellationToken) : null;
            var scenario = await _meter.MeasureAsync(name, operation, cancellationToken, keysPerCall > 1 ? "keys" : null, keysPerCall);
            double? share = null;
            if (before is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
                share = FastPathMetrics.NearCacheShare(before, await sidecar.ScrapeMetricsAsync(cancellationToken), BenchNamespaces.NearCacheGet);
            }

            Add(name, new SaturationRun(round, scenario, share));
            if (name == FastPathScenarios.PutWriteBehind)
            {
                _backlogs.Add(await WriteBehindBacklog.ReadAsync(servers.Redis.GetDatabase(), BenchNamespaces.PutWriteBehind));
                await DrainWriteBehindAsync(cancellationToken);
            }
        }
    }

    public SaturationResults Results() => new(
        Rows.Select(r => new SaturationRow(r.Name, r.KeysPerCall, _runs.GetValueOrDefault(r.Name) ?? [])).ToList(),
        _allocations,
        _backlogs);

    /// <summary>The Get hit, with the sidecar's own allocation counter read around it and its idle rate just before.</summary>
    private async Task MeasureGetHitAsync(int round, Operation operation, CancellationToken cancellationToken)
    {
        var idleStart = await sidecar.ScrapeMetricsAsync(cancellationToken);
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var before = await sidecar.ScrapeMetricsAsync(cancellationToken);
        var idleRate = (Allocated(before) - Allocated(idleStart)) / idleClock.Elapsed.TotalSeconds;
        var clock = Stopwatch.StartNew();
        var scenario = await _meter.MeasureAsync(FastPathScenarios.GetHit, operation, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
        var after = await sidecar.ScrapeMetricsAsync(cancellationToken);
        string[] getLabels = ["rpc=\"Get\"", $"namespace=\"{BenchNamespaces.GetHit}\""];
        var getCalls = (after.Sum(FastPathMetrics.RpcCount, getLabels) ?? 0) - (before.Sum(FastPathMetrics.RpcCount, getLabels) ?? 0);
        if (after.Sum(FastPathMetrics.AllocatedBytes) is not null)
        {
            _allocations.Add(new ServerAllocation(getCalls, Allocated(after) - Allocated(before), clock.Elapsed, Math.Max(0, idleRate)));
        }

        Add(FastPathScenarios.GetHit, new SaturationRun(round, scenario));
    }

    /// <summary>
    /// Waits (at most 60 s) until the write-behind Puts are flushed, so the next rows do not share the
    /// cores with the flushers' store writes — the <c>api</c> command does the same.
    /// </summary>
    private async Task DrainWriteBehindAsync(CancellationToken cancellationToken)
    {
        if (!configuration.WriteBehind)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        while (await WriteBehindBacklog.ReadAsync(servers.Redis.GetDatabase(), BenchNamespaces.PutWriteBehind) > 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    private void Add(string name, SaturationRun run)
    {
        if (!_runs.TryGetValue(name, out var runs))
        {
            _runs[name] = runs = [];
        }

        runs.Add(run);
    }

    private static double Allocated(PrometheusText metrics) => metrics.Sum(FastPathMetrics.AllocatedBytes) ?? 0;
}
