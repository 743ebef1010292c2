using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// Cache-aside (lazy loading): Put and Delete write the store, then invalidate the cache entry
/// (which also kills any fill lease, so a loader holding the old value cannot fill it afterwards).
/// Reads fill the cache through the shared <see cref="ReadThroughReader"/>.
/// </summary>
internal sealed class CacheAsideStrategy(
    VersionedStoreWriter writer,
    ICacheTier cache,
    ILogger<CacheAsideStrategy> logger) : IWriteStrategy
{
    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
        await PostWriteInvalidation.InvalidateAsync(cache, ns, request.Key, logger).ConfigureAwait(false);
        return new WriteResult(version, Persisted: true, Queued: false);
    }

    /// <remarks>The store's atomic increment, then the same invalidation as a Put.</remarks>
    public async Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var (value, version) = await writer.IncrementAsync(ns, key, delta, cancellationToken).ConfigureAwait(false);
        await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
        return new IncrementResult(value, version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var (deleted, _) = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
        return new DeleteResult(deleted, Persisted: true, Queued: false);
    }
}
