using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Store;

namespace CacheSidecar.Strategies;

/// <summary>
/// Synchronous store writes with monotonic versions: a write takes version max(now, last + 1)
/// and is guarded in the store, so it can never regress a newer version. When another writer
/// got there first with a higher version, the write retries above it: both writes are
/// acknowledged and the later one wins, in version order.
/// </summary>
internal sealed class VersionedStoreWriter(IRecordStore store, TimeProvider time)
{
    private const int MaxAttempts = 8;

    public async Task<long> WriteAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken)
    {
        if (request.IfMatch is { } expected)
        {
            var version = Versions.Next(time, expected);
            var outcome = await store.ReplaceIfVersionAsync(
                    ns,
                    request.Key,
                    new StoredRecord(request.Value, request.ContentType, version),
                    expected,
                    cancellationToken)
                .ConfigureAwait(false);
            return outcome == StoreWriteOutcome.Applied
                ? version
                : throw new PreconditionFailedException(request.Key, expected);
        }

        var lastKnown = 0L;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var version = Versions.Next(time, lastKnown);
            var outcome = await store.UpsertIfNewerAsync(
                    ns,
                    request.Key,
                    new StoredRecord(request.Value, request.ContentType, version),
                    cancellationToken)
                .ConfigureAwait(false);
            if (outcome == StoreWriteOutcome.Applied)
            {
                return version;
            }

            // The store holds a newer version (a concurrent writer, or a clock behind another
            // sidecar's): go above it.
            var current = await store.LoadAsync(ns, request.Key, cancellationToken).ConfigureAwait(false);
            lastKnown = Math.Max(current?.Version ?? version, version);
        }

        throw new SidecarUnavailableException($"Key '{request.Key}' is under too much write contention; retry.");
    }

    public async Task<bool> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        return ifMatch is not null && !deleted
            ? throw new PreconditionFailedException(key, ifMatch.Value)
            : deleted;
    }
}
