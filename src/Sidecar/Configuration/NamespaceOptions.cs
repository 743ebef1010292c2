namespace CacheSidecar.Configuration;

/// <summary>The caching strategy a namespace applies.</summary>
public enum CacheStrategy
{
    /// <summary>Lazy loading: Get fills the cache from the store; Put writes the store and invalidates.</summary>
    CacheAside,

    /// <summary>Put writes the store, then sets the cache to the new version.</summary>
    WriteThrough,

    /// <summary>Put is acknowledged once it is durable in Redis; flushers write the store later.</summary>
    WriteBehind,

    /// <summary>Put writes the store only; cached values live until their TTL runs out.</summary>
    Ttl,
}

/// <summary>How a namespace stores its keys as MongoDB <c>_id</c> values.</summary>
public enum IdType
{
#pragma warning disable CA1720 // "String" is the configuration value operators write.
    String,
#pragma warning restore CA1720
    ObjectId,
}

/// <summary>What a Get does when the store is unreachable and the cached value has expired.</summary>
public enum StoreDownBehavior
{
    /// <summary>Fail with <c>UNAVAILABLE</c>.</summary>
    Fail,

    /// <summary>Serve the expired value, marked <c>stale</c>, if it expired less than <c>StaleWindow</c> ago.</summary>
    ServeStale,
}

/// <summary>What a write-behind Put does when Redis is unreachable.</summary>
public enum CacheDownBehavior
{
    /// <summary>Fail with <c>UNAVAILABLE</c>.</summary>
    Fail,

    /// <summary>Write the store synchronously instead.</summary>
    WriteThrough,
}

/// <summary>
/// One namespace's policy as configured. Unset fields take the defaults in
/// <see cref="NamespaceDefaults"/>; <see cref="NamespacePolicy"/> is the resolved form.
/// </summary>
public sealed class NamespaceOptions
{
    public CacheStrategy? Strategy { get; set; }
    public TimeSpan? Ttl { get; set; }
    public TimeSpan? TtlJitter { get; set; }
    public TimeSpan? NegativeTtl { get; set; }
    public TimeSpan? MaxTtl { get; set; }
    public int? MaxKeyBytes { get; set; }
    public int? MaxValueBytes { get; set; }

    /// <summary>The MongoDB collection (or SQLite table) behind the namespace; none makes it a pure cache.</summary>
    public string? Collection { get; set; }

    public IdType? IdType { get; set; }
    public StoreDownBehavior? OnStoreDown { get; set; }
    public TimeSpan? StaleWindow { get; set; }
    public CacheDownBehavior? OnCacheDown { get; set; }

    /// <summary>Number of Redis hash-tag partitions the namespace is spread over.</summary>
    public int? Partitions { get; set; }

    /// <summary>How long a cache-miss lease protects one loader's fill.</summary>
    public TimeSpan? LeaseTtl { get; set; }

    /// <summary>Write-behind tuning; only read when <see cref="Strategy"/> is <see cref="CacheStrategy.WriteBehind"/>.</summary>
    public WriteBehindOptions WriteBehind { get; set; } = new();

    /// <summary>The per-instance L1 near-cache in front of Redis (off unless <see cref="NearCacheOptions.Enabled"/>).</summary>
    public NearCacheOptions NearCache { get; set; } = new();
}

/// <summary>
/// A namespace's L1 near-cache: hot values kept in the sidecar's memory, dropped on every
/// instance through Redis pub/sub when any instance writes them (defaults in <see cref="NearCacheDefaults"/>).
/// </summary>
public sealed class NearCacheOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Most entries held; together with <see cref="MaxBytes"/> the bound on the L1's memory.</summary>
    public int? MaxEntries { get; set; }

    /// <summary>Most bytes held (values plus keys plus a per-entry overhead).</summary>
    public long? MaxBytes { get; set; }

    /// <summary>How long an entry is served from memory at most: the staleness bound when invalidations cannot arrive.</summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>How often each instance compares its last applied invalidation with Redis's counter to detect missed messages.</summary>
    public TimeSpan? ResyncInterval { get; set; }
}

/// <summary>A write-behind namespace's flushing, backpressure and durability settings (defaults in <see cref="WriteBehindDefaults"/>).</summary>
public sealed class WriteBehindOptions
{
    /// <summary>Most stream entries read per partition per round, and most documents per store bulk write.</summary>
    public int? BatchSize { get; set; }

    /// <summary>How long a flusher waits after a round that did not fill a batch.</summary>
    public TimeSpan? FlushInterval { get; set; }

    /// <summary>Most acknowledged-but-unflushed writes the namespace holds; beyond it Put fails <c>RESOURCE_EXHAUSTED</c>.
    /// Enforced atomically per partition as ceil(MaxBacklog / Partitions).</summary>
    public long? MaxBacklog { get; set; }

    /// <summary>Times the store may reject one document before it goes to the dead-letter stream.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>How long an entry (or a key claim) of a silent flusher stays untouched before another instance takes it over.</summary>
    public TimeSpan? ReclaimAfter { get; set; }

    /// <summary>First back-off delay after a failed flush; doubles (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan? RetryBaseDelay { get; set; }

    public TimeSpan? RetryMaxDelay { get; set; }

    /// <summary>Replicas that must confirm a write (Redis <c>WAIT</c>) before Put is acknowledged; 0 = do not wait.</summary>
    public int? WaitForReplicas { get; set; }

    /// <summary>How long Put waits for <see cref="WaitForReplicas"/> confirmations before failing <c>UNAVAILABLE</c>.</summary>
    public TimeSpan? WaitTimeout { get; set; }
}

/// <summary>The documented write-behind defaults.</summary>
public static class WriteBehindDefaults
{
    public const int BatchSize = 500;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    public const long MaxBacklog = 1_000_000;
    public const int MaxAttempts = 5;
    public static readonly TimeSpan ReclaimAfter = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(10);
    public const int WaitForReplicas = 0;
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromMilliseconds(500);
    public const int MaxBatchSize = 10_000;
}

/// <summary>The documented near-cache defaults.</summary>
public static class NearCacheDefaults
{
    public const bool Enabled = false;
    public const int MaxEntries = 10_000;
    public const long MaxBytes = 32L * 1024 * 1024;
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(1);

    /// <summary>Upper bounds that keep a typo from turning into an outage.</summary>
    public const int MaxEntriesLimit = 10_000_000;
    public const long MaxBytesLimit = 16L * 1024 * 1024 * 1024;
    public static readonly TimeSpan MinResyncInterval = TimeSpan.FromMilliseconds(10);
}

/// <summary>The documented defaults for every namespace field, in one place.</summary>
public static class NamespaceDefaults
{
    public const CacheStrategy Strategy = CacheStrategy.CacheAside;
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan TtlJitter = TimeSpan.Zero;
    public static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(30);
    public const int MaxKeyBytes = 512;
    public const int MaxValueBytes = 1024 * 1024;
    public const IdType IdType = Configuration.IdType.String;
    public const StoreDownBehavior OnStoreDown = StoreDownBehavior.Fail;
    public static readonly TimeSpan StaleWindow = TimeSpan.FromMinutes(5);
    public const CacheDownBehavior OnCacheDown = CacheDownBehavior.Fail;
    public const int Partitions = 16;
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(5);

    /// <summary>Upper bounds that keep a typo from turning into an outage.</summary>
    public const int MaxKeyBytesLimit = 64 * 1024;
    public const int MaxValueBytesLimit = 64 * 1024 * 1024;
    public const int MaxPartitions = 1024;
}
