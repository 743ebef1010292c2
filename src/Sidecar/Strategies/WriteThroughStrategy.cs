using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// Write-through: Put writes the store, then sets the cache to the new version with a
/// version-guarded Lua step (an older set arriving late never replaces a newer one).
/// Delete writes the store, then leaves a versioned tombstone so a late set of an older
/// version cannot resurrect the value.
/// </summary>
internal sealed class WriteThroughStrategy(ReadThroughReader reader, VersionedStoreWriter writer, ICacheTier cache, TimeProvider time, ILogger<WriteThroughStrategy> logger) : ICacheStrategy
{
    public Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        reader.ReadAsync(ns, key, cancellationToken);

    public Task<ReadResult[]> BatchGetAsync(NamespacePolicy ns, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        reader.ReadManyAsync(ns, keys, cancellationToken);

    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken)
    {
        var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
        var entry = new CacheEntry(request.Value, request.ContentType, version, false, time.GetUtcNow() + EntryTtl.For(ns, request.Ttl));
        await SetAsync(ns, request.Key, entry).ConfigureAwait(false);
        return new WriteResult(version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken)
    {
        var deleted = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        if (ns.NegativeTtl > TimeSpan.Zero)
        {
            var tombstone = CacheEntry.Negative(time.GetUtcNow() + ns.NegativeTtl) with { Version = Versions.Next(time, ifMatch ?? 0) };
            await SetAsync(ns, key, tombstone).ConfigureAwait(false);
        }
        else
        {
            await CacheInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
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
            SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
        }
    }
}
