using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>The scenario names, shared by the runs, the plot and the report.</summary>
internal static class FastPathScenarios
{
    public const string DirectRedis = "Direct Redis GET (StackExchange.Redis)";
    public const string NoOp = "gRPC no-op: ListNamespaces";
    public const string GetHit = "Sidecar Get, cache hit";
    public const string NearCacheGet = "Sidecar Get, L1 hot keys";
    public const string BatchGet10 = "Sidecar BatchGet, 10 keys";
    public const string BatchGet100 = "Sidecar BatchGet, 100 keys";
    public const string PutCacheAside = "Sidecar Put, CacheAside";
    public const string PutWriteThrough = "Sidecar Put, WriteThrough";
    public const string PutTtl = "Sidecar Put, Ttl (with collection)";
    public const string PutPureCache = "Sidecar Put, Ttl pure cache (no collection)";
    public const string PutWriteBehind = "Sidecar Put, WriteBehind";
}

/// <summary>One closed-loop row.</summary>
/// <param name="Scenario">Measured numbers.</param>
/// <param name="KeysPerCall">Keys one call reads (BatchGet), for keys/s; 1 otherwise.</param>
/// <param name="NearCacheShare">For the L1 row: share of its reads the sidecar counted as served by the near-cache.</param>
internal sealed record SaturationRow(ScenarioResult Scenario, int KeysPerCall = 1, double? NearCacheShare = null)
{
    public string Name => Scenario.Load.Name;

    public double OpsPerSecond => Scenario.Load.OperationsPerSecond;
}

/// <summary>Bytes the sidecar process allocated on its managed heap during a scenario, from its <c>/metrics</c>.</summary>
/// <param name="Calls">Server-side calls of the scenario (its RPC counter's delta, warm-up included).</param>
/// <param name="Bytes">Delta of <c>dotnet_gc_heap_total_allocated_bytes_total</c> over the scenario.</param>
/// <param name="Elapsed">Time between the two scrapes.</param>
/// <param name="IdleBytesPerSecond">The same counter's rate just before, with no traffic (flusher polls, timers, the scrapes).</param>
internal sealed record ServerAllocation(double Calls, double Bytes, TimeSpan Elapsed, double IdleBytesPerSecond)
{
    public double BytesPerCall => Bytes / Math.Max(1, Calls);

    /// <summary>Per call after taking off the idle rate over the same time.</summary>
    public double NetBytesPerCall => Math.Max(0, Bytes - IdleBytesPerSecond * Elapsed.TotalSeconds) / Math.Max(1, Calls);
}

/// <summary>Part 1: the closed-loop table.</summary>
internal sealed record SaturationResults(
    IReadOnlyList<SaturationRow> Rows,
    ServerAllocation? GetHitAllocation,
    long? BacklogAfterWriteBehindPut)
{
    public SaturationRow? Find(string name) => Rows.FirstOrDefault(r => r.Name == name);
}

/// <summary>Part 2: the 1,000 req/s open-loop runs (Dapr's method) and the memory sampled meanwhile.</summary>
/// <param name="Rate">Offered req/s.</param>
/// <param name="Direct">Direct Redis GET.</param>
/// <param name="Sidecar">Sidecar Get hit.</param>
/// <param name="NearCache">L1 hot-key Get, or null when not measured.</param>
/// <param name="NearCacheShare">Share of the L1 run's reads served by the near-cache.</param>
/// <param name="RssIdle">Sidecar RSS after start, prefill done, before any load.</param>
/// <param name="RssSteady">Sidecar RSS in the second half of the sidecar Get run.</param>
internal sealed record RateResults(int Rate, OpenLoopResult Direct, OpenLoopResult Sidecar, OpenLoopResult? NearCache, double? NearCacheShare, RssStats? RssIdle, RssStats? RssSteady);

/// <summary>One curve of part 3; the last step is the one that did not keep up, if any.</summary>
internal sealed record SweepSeries(string Name, IReadOnlyList<OpenLoopResult> Steps)
{
    public bool Saturated => Steps.Count > 0 && !Steps[^1].KeptUp;
}

/// <summary>Everything one fastpath run measured.</summary>
internal sealed record FastPathResults(
    FastPathConfiguration Configuration,
    RateResults Rate,
    SaturationResults Saturation,
    IReadOnlyList<SweepSeries> Sweep,
    string? PlotFile,
    string? PlotProblem,
    H2LoadResult H2Load,
    H2LoadResult? H2LoadNoOp,
    IReadOnlyList<StartResult> Starts,
    RssStats? RssPeak,
    string RedisVersion,
    (int NoOp, int GetHit) ReplyBytes);
