using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>Picks the strategy object for a namespace's configured <see cref="CacheStrategy"/>.</summary>
internal sealed class StrategyResolver(CacheAsideStrategy cacheAside, WriteThroughStrategy writeThrough, TtlStrategy ttl)
{
    public ICacheStrategy For(NamespacePolicy ns) => ns.Strategy switch
    {
        CacheStrategy.CacheAside => cacheAside,
        CacheStrategy.WriteThrough => writeThrough,
        CacheStrategy.Ttl => ttl,
        // Refused at start-up by SidecarOptionsValidator until write-behind lands.
        _ => throw new InvalidOperationException($"Strategy {ns.Strategy} is not available."),
    };
}
