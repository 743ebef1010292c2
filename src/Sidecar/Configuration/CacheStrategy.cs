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
