using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// Write-through: Put writes the store, then sets the cache to the new version with a
/// version-guarded Lua step (an older set arriving late never replaces a newer one).
/// Delete writes the store, then leaves a versioned tombstone so a late set of an older
/// version cannot resurrect the value.
/// <para>
/// The store forgets a deleted key's version, so a Put whose version is older than a tombstone
/// can still land in the store <i>after</i> the delete (it took its version first, its write
/// arrived later). The tombstone would then hide a value the store holds. Both sides check for
/// that (found by the consistency checker): after setting a tombstone, Delete looks at the store;
/// a Put whose cache set a tombstone refused does too; whoever finds a value there replaces that
/// tombstone with it (replacing, not dropping: an empty entry would let a late set of an even
/// older version in).
/// </para>
/// </summary>
internal sealed class WriteThroughStrategy(
    VersionedStoreWriter writer,
    ICacheTier cache,
    IRecordStore store,
    TimeProvider time,
    ILogger<WriteThroughStrategy> logger) : IWriteStrategy
{
    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
        var entry = new CacheEntry(
            request.Value, request.ContentType, version, false, time.GetUtcNow() + EntryTtl.For(ns, request.Ttl));
        if (!await SetAsync(ns, request.Key, entry).ConfigureAwait(false))
        {
            await ReplaceTombstoneHidingStoredValueAsync(ns, request.Key, tombstoneVersion: null).ConfigureAwait(false);
        }

        return new WriteResult(version, Persisted: true, Queued: false);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        var deleted = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        if (ns.NegativeTtl > TimeSpan.Zero)
        {
            var tombstone = CacheEntry.Negative(time.GetUtcNow() + ns.NegativeTtl)
                with { Version = Versions.Next(time, ifMatch ?? 0) };
            if (await SetAsync(ns, key, tombstone).ConfigureAwait(false))
            {
                await ReplaceTombstoneHidingStoredValueAsync(ns, key, tombstone.Version).ConfigureAwait(false);
            }
        }
        else
        {
            await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
        }

        return new DeleteResult(deleted, Persisted: true, Queued: false);
    }

    private async Task<bool> SetAsync(NamespacePolicy ns, string key, CacheEntry entry)
    {
        try
        {
            // The store already holds this version: finish the cache step even if the caller leaves.
            return await cache.SetIfNewerAsync(ns, key, entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
            return true; // nothing to reconcile: the missed write is replayed as a generation bump
        }
    }

    /// <summary>
    /// If the cache holds a tombstone (the given one, or whichever refused a Put's set) while the
    /// store holds a value, replaces that tombstone with the store's value. Best effort: if the
    /// store or Redis cannot be asked, the tombstone expires after NegativeTtl.
    /// </summary>
    private async Task ReplaceTombstoneHidingStoredValueAsync(NamespacePolicy ns, string key, long? tombstoneVersion)
    {
        try
        {
            if (tombstoneVersion is null)
            {
                var cached = await cache.LookupAsync(
                        ns, key, leaseToken: null, readPending: false, CancellationToken.None)
                    .ConfigureAwait(false);
                if (cached is not { State: LookupState.Hit, Entry: { IsNegative: true } tombstone })
                {
                    return; // refused by a newer value, not a tombstone: nothing is hidden
                }

                tombstoneVersion = tombstone.Version;
            }

            if (await store.LoadAsync(ns, key, CancellationToken.None).ConfigureAwait(false) is { } stored)
            {
                var entry = new CacheEntry(
                    stored.Value, stored.ContentType, stored.Version, false, time.GetUtcNow() + EntryTtl.For(ns, null));
                await cache.ReplaceTombstoneAsync(ns, key, tombstoneVersion.Value, entry, CancellationToken.None)
                    .ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is CacheUnavailableException or StoreUnavailableException)
        {
            SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
        }
    }
}
