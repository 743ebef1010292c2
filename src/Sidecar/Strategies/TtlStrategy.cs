using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// TTL-based invalidation. With a store: Put writes the store and leaves the cache alone, so a
/// cached value may be served until its TTL runs out (freshness bounded by the TTL); reads go
/// through as in cache-aside. Without a store the namespace is a pure Redis cache: Put sets
/// the entry with its TTL and the cache assigns versions; Delete removes it.
/// </summary>
internal sealed class TtlStrategy(
    VersionedStoreWriter writer,
    ICacheTier cache,
    TimeProvider time,
    ILogger<TtlStrategy> logger) : IWriteStrategy
{
    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        if (ns.HasStore)
        {
            var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
            return new WriteResult(version, Persisted: true, Queued: false);
        }

        var entry = new CacheEntry(
            request.Value, request.ContentType, 0, false, time.GetUtcNow() + EntryTtl.For(ns, request.Ttl));
        var result = await PureCache(
                () => cache.PutAssigningVersionAsync(ns, request.Key, entry, request.IfMatch, cancellationToken),
                ns)
            .ConfigureAwait(false);
        return result.PreconditionFailed
            ? throw new PreconditionFailedException(request.Key, request.IfMatch!.Value)
            : new WriteResult(result.Version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        if (ns.HasStore)
        {
            var (deleted, _) = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
            await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
            return new DeleteResult(deleted, Persisted: true, Queued: false);
        }

        var (preconditionFailed, removed) = await PureCache(
                () => cache.DeleteIfMatchAsync(ns, key, ifMatch, cancellationToken),
                ns)
            .ConfigureAwait(false);
        return preconditionFailed
            ? throw new PreconditionFailedException(key, ifMatch!.Value)
            : new DeleteResult(removed, Persisted: true, Queued: false);
    }

    private static async Task<T> PureCache<T>(Func<Task<T>> operation, NamespacePolicy ns)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            throw new SidecarUnavailableException(
                $"The cache tier is unavailable and namespace '{ns.Name}' has no store.", ex);
        }
    }
}
