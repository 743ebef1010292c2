using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// Cache-aside (lazy loading): Get reads through the cache (<see cref="ReadThroughReader"/>);
/// Put and Delete write the store, then invalidate the cache entry (which also kills any fill
/// lease, so a loader holding the old value cannot fill it afterwards).
/// </summary>
internal sealed class CacheAsideStrategy(ReadThroughReader reader, VersionedStoreWriter writer, ICacheTier cache, ILogger<CacheAsideStrategy> logger) : ICacheStrategy
{
    public Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        reader.ReadAsync(ns, key, cancellationToken);

    public Task<ReadResult[]> BatchGetAsync(NamespacePolicy ns, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        reader.ReadManyAsync(ns, keys, cancellationToken);

    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken)
    {
        var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
        await CacheInvalidation.InvalidateAsync(cache, ns, request.Key, logger).ConfigureAwait(false);
        return new WriteResult(version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken)
    {
        var deleted = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        await CacheInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
        return new DeleteResult(deleted, Persisted: true, Queued: false);
    }
}

/// <summary>Post-write cache invalidation that never fails the (already persisted) write.</summary>
internal static class CacheInvalidation
{
    public static async Task InvalidateAsync(ICacheTier cache, NamespacePolicy ns, string key, ILogger logger)
    {
        try
        {
            // Not the caller's token: once the store write is done the invalidation must run
            // even if the caller gives up, or a stale entry could outlive the write.
            await cache.InvalidateAsync(ns, key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // The tier remembers the partition and bumps its generation when Redis is back.
            SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
        }
    }
}
