using System.Collections.Frozen;
using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// Hands out the <see cref="ICacheStrategy"/> for a namespace's configured strategy, and for
/// namespaces with a near-cache the same strategy behind it. Composed at the composition root
/// (Hosting), which decides what each strategy is in this deployment (write-behind needs Redis).
/// </summary>
internal sealed class StrategyResolver(
    IReadOnlyDictionary<CacheStrategy, ICacheStrategy> plain,
    IReadOnlyDictionary<CacheStrategy, ICacheStrategy> nearCached)
{
    private readonly FrozenDictionary<CacheStrategy, ICacheStrategy> _plain = plain.ToFrozenDictionary();
    private readonly FrozenDictionary<CacheStrategy, ICacheStrategy> _nearCached = nearCached.ToFrozenDictionary();

    public ICacheStrategy For(NamespacePolicy ns) =>
        (ns.NearCache.Enabled ? _nearCached : _plain).TryGetValue(ns.Strategy, out var strategy)
            ? strategy
            : throw new InvalidOperationException($"Strategy {ns.Strategy} is not available.");
}
