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
