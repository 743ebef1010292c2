using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.NearCache;

namespace CacheSidecar.Strategies;

/// <summary>
/// The Invalidate RPC: cache only, the store is untouched. Listed keys are dropped in one
/// pipelined burst; a whole namespace is dropped by a generation bump per partition.
/// Unlike post-write invalidations, these fail (UNAVAILABLE) when the cache tier is down:
/// the caller asked for nothing else and should know it did not happen.
/// </summary>
/// <remarks>Near-caches are invalidated on every instance too, even when the Redis step fails.</remarks>
internal sealed class ExplicitInvalidation(ICacheTier cache, NearCacheBus nearCache)
{
    public async Task<int> InvalidateAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            var dropped = await Task.WhenAll(distinct.Select(key => cache.InvalidateAsync(ns, key, cancellationToken))).ConfigureAwait(false);
            return dropped.Count(wasCached => wasCached);
        }
        finally
        {
            await nearCache.InvalidateAsync(ns, distinct).ConfigureAwait(false);
        }
    }

    public async Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken)
    {
        try
        {
            await cache.InvalidateNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await nearCache.InvalidateNamespaceAsync(ns).ConfigureAwait(false);
        }
    }
}
