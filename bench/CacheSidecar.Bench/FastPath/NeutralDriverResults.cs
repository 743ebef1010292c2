namespace CacheSidecar.Bench.FastPath;

/// <summary>The C load generators' rows over the rounds: h2load on the Get hit and the no-op RPC, redis-benchmark on GET.</summary>
/// <param name="H2LoadGet">h2load on <c>Cache/Get</c>, one per round (or the one run that found h2load missing).</param>
/// <param name="H2LoadNoOp">h2load on <c>Cache/ListNamespaces</c>.</param>
/// <param name="RedisBenchmark">redis-benchmark <c>GET</c> of the 1 KB value.</param>
internal sealed record NeutralDriverResults(
    IReadOnlyList<H2LoadResult> H2LoadGet,
    IReadOnlyList<H2LoadResult> H2LoadNoOp,
    IReadOnlyList<RedisBenchmarkResult> RedisBenchmark)
{
    public string? H2LoadMissing => H2LoadGet.Concat(H2LoadNoOp).Select(r => r.NotMeasured).FirstOrDefault(p => p is not null);

    public string? RedisBenchmarkMissing => RedisBenchmark.Select(r => r.NotMeasured).FirstOrDefault(p => p is not null);

    public IReadOnlyList<H2LoadResult> MeasuredGet => H2LoadGet.Where(r => r.NotMeasured is null).ToList();

    public IReadOnlyList<H2LoadResult> MeasuredNoOp => H2LoadNoOp.Where(r => r.NotMeasured is null).ToList();

    public IReadOnlyList<RedisBenchmarkResult> MeasuredRedis => RedisBenchmark.Where(r => r.NotMeasured is null).ToList();
}
