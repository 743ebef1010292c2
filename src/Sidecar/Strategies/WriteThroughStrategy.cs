using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// Write-through: Put writes the store, then sets the cache to the new version with a
/// version-guarded Lua step (an older set arriving late never replaces a newer one).
/// Delete leaves a versioned tombstone in the store, then the same version as a cache
/// tombstone, so a late set of an older version can resurrect the value in neither. Because the
/// store keeps the delete's version, a Put that took its version before a racing Delete cannot
/// land after it: its guard fails and it retries above the delete, in the cache as in the store.
/// </summary>
internal sealed class WriteThroughStrategy(
    VersionedStoreWriter writer,
    ICacheTier cache,
    TimeProvider time,
    ILogger<WriteThroughStrategy> logger) : IWriteStrategy
{
    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
        var entry = new CacheEntry(
            request.Value, request.ContentType, version, false, time.GetUtcNow() + EntryTtl.For(ns, request.Ttl),
            request.Tags);
        await SetAsync(ns, request.Key, entry).ConfigureAwait(false);
        return new WriteResult(version, Persisted: true, Queued: false);
    }

    /// <remarks>
    /// The store's atomic increment decides the value; the cache then gets it by the same version-guarded
    /// set as a Put, so concurrent increments leave the highest version (the latest sum) cached.
    /// </remarks>
    public async Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var (value, version) = await writer.IncrementAsync(ns, key, delta, cancellationToken).ConfigureAwait(false);
        var entry = new CacheEntry(
            Counter.Format(value), Counter.ContentType, version, false, time.GetUtcNow() + EntryTtl.For(ns, ttl));
        await SetAsync(ns, key, entry).ConfigureAwait(false);
        return new IncrementResult(value, version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        await PostWriteInvalidation.EnsureCacheUsableAsync(cache, ns).ConfigureAwait(false);
        var (deleted, version) = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        if (ns.NegativeTtl > TimeSpan.Zero)
        {
            await SetAsync(ns, key, CacheEntry.Negative(time.GetUtcNow() + ns.NegativeTtl) with { Version = version })
                .ConfigureAwait(false);
        }
        else
        {
            await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger, version).ConfigureAwait(false);
        }

        return new DeleteResult(deleted, Persisted: true, Queued: false);
    }

    private async Task SetAsync(NamespacePolicy ns, string key, CacheEntry entry)
    {
        try
        {
            // The store already holds this version: finish the cache step even if the caller leaves.
            await cache.SetIfNewerAsync(ns, key, entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // The missed write is replayed as a generation bump when Redis is back.
            PostWriteInvalidation.CacheStepFailed(ns, ex, logger);
        }
    }
}
