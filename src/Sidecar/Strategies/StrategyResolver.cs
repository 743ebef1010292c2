using System.Collections.Frozen;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.NearCache;
using CacheSidecar.WriteBehind;

namespace CacheSidecar.Strategies;

/// <summary>Picks the strategy object for a namespace's configured <see cref="CacheStrategy"/>.</summary>
/// <remarks>Namespaces with a near-cache get the same strategy behind a <see cref="NearCachedStrategy"/>.</remarks>
internal sealed class StrategyResolver
{
    private readonly FrozenDictionary<CacheStrategy, ICacheStrategy> _plain;
    private readonly FrozenDictionary<CacheStrategy, ICacheStrategy> _nearCached;

    public StrategyResolver(CacheAsideStrategy cacheAside, WriteThroughStrategy writeThrough, TtlStrategy ttl, ICacheTier cache, NearCacheBus nearCache, IServiceProvider services)
    {
        _plain = new Dictionary<CacheStrategy, ICacheStrategy>
        {
            [CacheStrategy.CacheAside] = cacheAside,
            [CacheStrategy.WriteThrough] = writeThrough,
            [CacheStrategy.Ttl] = ttl,
            // Write-behind needs Redis to hold acknowledged writes durably. On the in-process tier
            // (embedded default) it behaves as write-through instead (§7), and says so at start-up.
            [CacheStrategy.WriteBehind] = cache is RedisCacheTier ? services.GetRequiredService<WriteBehindStrategy>() : writeThrough,
        }.ToFrozenDictionary();
        _nearCached = _plain.ToFrozenDictionary(pair => pair.Key, pair => (ICacheStrategy)new NearCachedStrategy(pair.Value, nearCache));
    }

    public ICacheStrategy For(NamespacePolicy ns) =>
        (ns.NearCache.Enabled ? _nearCached : _plain).TryGetValue(ns.Strategy, out var strategy)
            ? strategy
            : throw new InvalidOperationException($"Strategy {ns.Strategy} is not available.");
}
