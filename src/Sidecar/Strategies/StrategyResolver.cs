using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.WriteBehind;

namespace CacheSidecar.Strategies;

/// <summary>Picks the strategy object for a namespace's configured <see cref="CacheStrategy"/>.</summary>
internal sealed class StrategyResolver(CacheAsideStrategy cacheAside, WriteThroughStrategy writeThrough, TtlStrategy ttl, ICacheTier cache, IServiceProvider services)
{
    // Write-behind needs Redis to hold acknowledged writes durably. On the in-process tier
    // (embedded default) it behaves as write-through instead (§7), and says so at start-up.
    private readonly ICacheStrategy _writeBehind = cache is RedisCacheTier
        ? services.GetRequiredService<WriteBehindStrategy>()
        : writeThrough;

    public ICacheStrategy For(NamespacePolicy ns) => ns.Strategy switch
    {
        CacheStrategy.CacheAside => cacheAside,
        CacheStrategy.WriteThrough => writeThrough,
        CacheStrategy.Ttl => ttl,
        CacheStrategy.WriteBehind => _writeBehind,
        _ => throw new InvalidOperationException($"Strategy {ns.Strategy} is not available."),
    };
}
