using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// The Invalidate RPC: cache only, the store is untouched. Listed keys are dropped in one
/// pipelined burst; a whole namespace is dropped by a generation bump per partition.
/// Unlike post-write invalidations, these fail (UNAVAILABLE) when the cache tier is down:
/// the caller asked for nothing else and should know it did not happen.
/// </summary>
internal sealed class ExplicitInvalidation(ICacheTier cache)
{
    public async Task<int> InvalidateAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var dropped = await Task.WhenAll(keys.Distinct(StringComparer.Ordinal).Select(key => cache.InvalidateAsync(ns, key, cancellationToken))).ConfigureAwait(false);
        return dropped.Count(wasCached => wasCached);
    }

    public Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken) =>
        cache.InvalidateNamespaceAsync(ns, cancellationToken);
}
