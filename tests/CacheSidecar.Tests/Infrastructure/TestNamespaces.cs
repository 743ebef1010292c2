namespace CacheSidecar.Tests.Infrastructure;

/// <summary>The namespaces every in-process test host is configured with (one per behaviour under test).</summary>
internal static class TestNamespaces
{
    public const string CacheAside = "ca";
    public const string CacheAsideJitter = "ca-jitter";
    public const string WriteThrough = "wt";
    public const string Ttl = "ttl";
    public const string PureCache = "pure";
    public const string ObjectIds = "oid";
    public const string Small = "small";
    public const string ServeStale = "stale";
    public const string Wb = "wb";
    public const string WbSmall = "wb-small";
    public const string WbDegrading = "wb-degrade";
    public const string NearCached = "l1";
    public const string NearCachedWb = "l1-wb";

    /// <summary>Write-through, announces every write for WatchInvalidations, no L1 in the sidecar.</summary>
    public const string Watched = "watched";

    /// <summary>A pure cache (no store) that announces every write for WatchInvalidations.</summary>
    public const string WatchedPure = "watched-pure";

    /// <summary>How often the near-cache namespaces compare their applied invalidations with Redis (on the host's fake clock).</summary>
    public static readonly TimeSpan NearCacheResync = TimeSpan.FromSeconds(1);

    /// <summary>The write-behind namespaces' flush interval (on the host's fake clock: flushers run when a test advances it).</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Jitter = TimeSpan.FromMinutes(1);

    public static Dictionary<string, string?> Settings() => new()
    {
        [$"Sidecar:Namespaces:{CacheAside}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{CacheAside}:Ttl"] = "00:10:00",
        [$"Sidecar:Namespaces:{CacheAside}:NegativeTtl"] = "00:00:30",
        [$"Sidecar:Namespaces:{CacheAside}:Collection"] = "ca_items",

        [$"Sidecar:Namespaces:{CacheAsideJitter}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{CacheAsideJitter}:Ttl"] = "00:10:00",
        [$"Sidecar:Namespaces:{CacheAsideJitter}:TtlJitter"] = "00:01:00",
        [$"Sidecar:Namespaces:{CacheAsideJitter}:Collection"] = "ca_items",

        [$"Sidecar:Namespaces:{WriteThrough}:Strategy"] = "WriteThrough",
        [$"Sidecar:Namespaces:{WriteThrough}:Ttl"] = "00:10:00",
        [$"Sidecar:Namespaces:{WriteThrough}:NegativeTtl"] = "00:00:30",
        [$"Sidecar:Namespaces:{WriteThrough}:Collection"] = "wt_items",

        [$"Sidecar:Namespaces:{Ttl}:Strategy"] = "Ttl",
        [$"Sidecar:Namespaces:{Ttl}:Ttl"] = "00:10:00",
        [$"Sidecar:Namespaces:{Ttl}:Collection"] = "ttl_items",

        [$"Sidecar:Namespaces:{PureCache}:Strategy"] = "Ttl",
        [$"Sidecar:Namespaces:{PureCache}:Ttl"] = "00:10:00",

        [$"Sidecar:Namespaces:{ObjectIds}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{ObjectIds}:IdType"] = "ObjectId",
        [$"Sidecar:Namespaces:{ObjectIds}:Collection"] = "oid_items",

        [$"Sidecar:Namespaces:{Small}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{Small}:MaxKeyBytes"] = "16",
        [$"Sidecar:Namespaces:{Small}:MaxValueBytes"] = "64",
        [$"Sidecar:Namespaces:{Small}:MaxTtl"] = "01:00:00",
        [$"Sidecar:Namespaces:{Small}:Collection"] = "small_items",

        [$"Sidecar:Namespaces:{ServeStale}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{ServeStale}:Ttl"] = "00:01:00",
        [$"Sidecar:Namespaces:{ServeStale}:OnStoreDown"] = "ServeStale",
        [$"Sidecar:Namespaces:{ServeStale}:StaleWindow"] = "00:05:00",
        [$"Sidecar:Namespaces:{ServeStale}:Collection"] = "stale_items",

        [$"Sidecar:Namespaces:{Wb}:Strategy"] = "WriteBehind",
        [$"Sidecar:Namespaces:{Wb}:Ttl"] = "00:10:00",
        [$"Sidecar:Namespaces:{Wb}:NegativeTtl"] = "00:00:30",
        [$"Sidecar:Namespaces:{Wb}:Collection"] = "wb_items",
        [$"Sidecar:Namespaces:{Wb}:WriteBehind:FlushInterval"] = "00:00:01",
        [$"Sidecar:Namespaces:{Wb}:WriteBehind:RetryBaseDelay"] = "00:00:01",
        [$"Sidecar:Namespaces:{Wb}:WriteBehind:RetryMaxDelay"] = "00:00:01",
        [$"Sidecar:Namespaces:{Wb}:WriteBehind:MaxAttempts"] = "2",

        [$"Sidecar:Namespaces:{WbSmall}:Strategy"] = "WriteBehind",
        [$"Sidecar:Namespaces:{WbSmall}:Collection"] = "wb_small_items",
        [$"Sidecar:Namespaces:{WbSmall}:Partitions"] = "1",
        [$"Sidecar:Namespaces:{WbSmall}:WriteBehind:MaxBacklog"] = "4",
        [$"Sidecar:Namespaces:{WbSmall}:WriteBehind:FlushInterval"] = "00:00:01",
        [$"Sidecar:Namespaces:{WbSmall}:WriteBehind:RetryBaseDelay"] = "00:00:01",
        [$"Sidecar:Namespaces:{WbSmall}:WriteBehind:RetryMaxDelay"] = "00:00:01",

        [$"Sidecar:Namespaces:{WbDegrading}:Strategy"] = "WriteBehind",
        [$"Sidecar:Namespaces:{WbDegrading}:Collection"] = "wb_items",
        [$"Sidecar:Namespaces:{WbDegrading}:OnCacheDown"] = "WriteThrough",
        [$"Sidecar:Namespaces:{WbDegrading}:OnCacheDownRead"] = "ServeStale",
        [$"Sidecar:Namespaces:{WbDegrading}:WriteBehind:FlushInterval"] = "00:00:01",

        [$"Sidecar:Namespaces:{NearCached}:Strategy"] = "CacheAside",
        [$"Sidecar:Namespaces:{NearCached}:Collection"] = "l1_items",
        [$"Sidecar:Namespaces:{NearCached}:NearCache:Enabled"] = "true",
        // Long enough that no test passes because an entry simply expired: invalidation must do it.
        [$"Sidecar:Namespaces:{NearCached}:NearCache:Ttl"] = "00:01:00",
        [$"Sidecar:Namespaces:{NearCached}:NearCache:ResyncInterval"] = "00:00:01",

        [$"Sidecar:Namespaces:{NearCachedWb}:Strategy"] = "WriteBehind",
        [$"Sidecar:Namespaces:{NearCachedWb}:Collection"] = "l1_wb_items",
        [$"Sidecar:Namespaces:{NearCachedWb}:WriteBehind:FlushInterval"] = "00:00:01",
        [$"Sidecar:Namespaces:{NearCachedWb}:NearCache:Enabled"] = "true",
        [$"Sidecar:Namespaces:{NearCachedWb}:NearCache:Ttl"] = "00:01:00",
        [$"Sidecar:Namespaces:{NearCachedWb}:NearCache:ResyncInterval"] = "00:00:01",

        [$"Sidecar:Namespaces:{Watched}:Strategy"] = "WriteThrough",
        [$"Sidecar:Namespaces:{Watched}:Collection"] = "watched_items",
        [$"Sidecar:Namespaces:{Watched}:PublishInvalidations"] = "true",
        [$"Sidecar:Namespaces:{Watched}:NearCache:ResyncInterval"] = "00:00:01",

        [$"Sidecar:Namespaces:{WatchedPure}:Strategy"] = "Ttl",
        [$"Sidecar:Namespaces:{WatchedPure}:PublishInvalidations"] = "true",
    };

    /// <summary>A key no other test uses.</summary>
    public static string UniqueKey(string hint = "k") => $"{hint}-{Guid.NewGuid():N}";
}
