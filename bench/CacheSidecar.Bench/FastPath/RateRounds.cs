using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// Part 1, round by round: the 1,000 req/s open-loop rows (direct Redis GET, the no-op RPC, the Get hit,
/// the L1 Get), each with a <see cref="TailProbe"/> around it, so the tail's sources are read for every run.
/// </summary>
internal sealed class RateRounds(SidecarProcess sidecar, FastPathCalls calls, FastPathConfiguration configuration, RssSampler rss, BenchOptions options)
{
    /// <summary>Warm-up of each run (JIT, connections, the pacer thread).</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, List<RateRun>> _runs = [];
    private readonly List<double> _nearCacheShares = [];

    /// <summary>The rows in report order; the L1 row only when configured.</summary>
    private IReadOnlyList<(string Name, Operation Operation, string[]? RpcLabels)> Rows =>
    [
        (FastPathScenarios.DirectRedis, calls.DirectRedisGet, null),
        (FastPathScenarios.NoOp, calls.ListNamespaces, ["rpc=\"ListNamespaces\""]),
        (FastPathScenarios.GetHit, calls.GetHit, ["rpc=\"Get\"", $"namespace=\"{BenchNamespaces.GetHit}\""]),
        .. configuration.NearCache ? [(FastPathScenarios.NearCacheGet, (Operation)calls.NearCacheGet, ["rpc=\"Get\"", $"namespace=\"{BenchNamespaces.NearCacheGet}\""])] : Array.Empty<(string, Operation, string[]?)>(),
    ];

    /// <summary>One unrecorded run of every row (warm-up only), so the first round starts as warm as the others.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, operation, _) in Rows)
        {
            _ = await OpenLoopLoad.RunAsync(name, FastPathCommand.DaprRate, WarmUp, TimeSpan.Zero, operation, cancellationToken);
            sidecar.ThrowIfExited();
        }
    }

    /// <summary>
    /// One run of every row. The row going first moves by one each round, so no row always runs right
    /// after the saturation and sweep parts of the previous round (or always first after a pause).
    /// </summary>
    public async Task RunAsync(int round, CancellationToken cancellationToken)
    {
        var rows = Rows;
        var first = (round - 1) % rows.Count;
        foreach (var (name, operation, rpcLabels) in rows.Skip(first).Concat(rows.Take(first)))
        {
            Console.Write($"  {name} ... ");
            using var probe = await TailProbe.StartAsync(rpcLabels is null ? null : sidecar, cancellationToken);
            var from = Stopwatch.GetTimestamp() + (long)((WarmUp + options.RateDuration / 2).TotalSeconds * Stopwatch.Frequency);
            var result = await OpenLoopLoad.RunAsync(name, FastPathCommand.DaprRate, WarmUp, options.RateDuration, operation, cancellationToken);
            var steady = name == FastPathScenarios.GetHit ? rss.Between(from, Stopwatch.GetTimestamp()) : null;
            var scheduled = (long)((WarmUp + options.RateDuration).TotalSeconds * FastPathCommand.DaprRate);
            var tail = await probe.StopAsync(scheduled, rpcLabels ?? [], cancellationToken);
            sidecar.ThrowIfExited();
            Console.WriteLine(FastPathCommand.Describe(result));
            if (name == FastPathScenarios.NearCacheGet && probe.Before is { } before && probe.After is { } after
                && FastPathMetrics.NearCacheShare(before, after, BenchNamespaces.NearCacheGet) is { } share)
            {
                _nearCacheShares.Add(share);
            }

            if (!_runs.TryGetValue(name, out var runs))
            {
                _runs[name] = runs = [];
            }

            runs.Add(new RateRun(round, result, tail, steady));
        }
    }

    public RateResults Results(RssStats? rssIdle) => new(
        FastPathCommand.DaprRate,
        Rows.Select(r => new RateRow(r.Name, _runs.GetValueOrDefault(r.Name) ?? [])).ToList(),
        _nearCacheShares.Count == 0 ? null : Spread.Of(_nearCacheShares).Median,
        rssIdle);
}
