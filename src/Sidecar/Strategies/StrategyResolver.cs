using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.NearCache;
using CacheSidecar.WriteBehind;

namespace CacheSidecar.Strategies;

/// <summary>Picks the strategy object for a namespace's configured <see cref="CacheStrategy"/>.</summary>
/// <remarks>Namespaces with a near-cache get the same strategy behind a <see cref="NearCachedStrategy"/>.</remarks>
internal sealed class StrategyResolver
{
    private readonly ICacheStrategy _cacheAside;
    private readonly ICacheStrategy _writeThrough;
    private readonly ICacheStrategy _ttl;
    private readonly ICacheStrategy _writeBehind;
    private readonly ICacheStrategy _nearCachedCacheAside;
    private readonly ICacheStrategy _nearCachedWriteThrough;
    private readonly ICacheStrategy _nearCachedTtl;
    private readonly ICacheStrategy _nearCachedWriteBehind;

    public StrategyResolver(CacheAsideStrategy cacheAside, WriteThroughStrategy writeThrough, TtlStrategy ttl, ICacheTier cache, NearCacheBus nearCache, IServiceProvider services)
    {
        _cacheAside = cacheAside;
        _writeThrough = writeThrough;
        _ttl = ttl;
        // Write-behind needs Redis to hold acknowledged writes durably. On the in-process tier
        // (embedded default) it behaves as write-through instead (§7), and says so at start-up.
        _writeBehind = cache is RedisCacheTier ? services.GetRequiredService<WriteBehindStrategy>() : writeThrough;
        _nearCachedCacheAside = new NearCachedStrategy(_cacheAside, nearCache);
        _nearCachedWriteThrough = new NearCachedStrategy(_writeThrough, nearCache);
        _nearCachedTtl = new NearCachedStrategy(_ttl, nearCache);
        _nearCachedWriteBehind = new NearCachedStrategy(_writeBehind, nearCache);
    }

    public ICacheStrategy For(NamespacePolicy ns) => (ns.Strategy, ns.NearCache.Enabled) switch
    {
        (CacheStrategy.CacheAside, false) => _cacheAside,
        (CacheStrategy.WriteThrough, false) => _writeThrough,
        (CacheStrategy.Ttl, false) => _ttl,
        (CacheStrategy.WriteBehind, false) => _writeBehind,
        (CacheStrategy.CacheAside, true) => _nearCachedCacheAside,
        (CacheStrategy.WriteThrough, true) => _nearCachedWriteThrough,
        (CacheStrategy.Ttl, true) => _nearCachedTtl,
        (CacheStrategy.WriteBehind, true) => _nearCachedWriteBehind,
        _ => throw new InvalidOperationException($"Strategy {ns.Strategy} is not available."),
    };
}
