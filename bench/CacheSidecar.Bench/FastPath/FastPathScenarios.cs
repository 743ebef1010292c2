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
