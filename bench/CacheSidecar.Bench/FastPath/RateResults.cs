namespace CacheSidecar.Bench.FastPath;

/// <summary>Part 1: the 1,000 req/s open-loop rows (Dapr's method) over the rounds, and the memory sampled meanwhile.</summary>
/// <param name="Rate">Offered req/s.</param>
/// <param name="Rows">Direct Redis GET, no-op RPC, Get hit, L1 Get (when configured), in that order.</param>
/// <param name="NearCacheShare">Share of the L1 runs' reads served by the near-cache (all rounds together).</param>
/// <param name="RssIdle">Sidecar RSS after start, prefill done, before any load.</param>
internal sealed record RateResults(int Rate, IReadOnlyList<RateRow> Rows, double? NearCacheShare, RssStats? RssIdle)
{
    public RateRow? Find(string name) => Rows.FirstOrDefault(r => r.Name == name && r.Measured);

    /// <summary>The RSS of the Get-hit runs' second halves, one per round.</summary>
    public IReadOnlyList<RssStats> RssSteady =>
        Find(FastPathScenarios.GetHit)?.Runs.Select(r => r.Rss).OfType<RssStats>().ToList() ?? [];
}
