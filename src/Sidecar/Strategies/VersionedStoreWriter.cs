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

            lastKnown = await AboveStoredAsync(ns, request.Key, version, cancellationToken).ConfigureAwait(false);
        }

        throw Contention(request.Key);
    }

    /// <summary>
    /// Replaces the key with a tombstone at a new version (only at <paramref name="ifMatch"/> when
    /// given). Returns whether a live value was removed, and the tombstone's version.
    /// </summary>
    public async Task<(bool Removed, long Version)> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        if (ifMatch is { } expected)
        {
            var version = Versions.Next(time, expected);
            var outcome = await store.DeleteAsync(ns, key, version, expected, cancellationToken).ConfigureAwait(false);
            return outcome == DeleteOutcome.Removed
                ? (true, version)
                : throw new PreconditionFailedException(key, expected);
        }

        var lastKnown = 0L;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var version = Versions.Next(time, lastKnown);
            var outcome = await store.DeleteAsync(ns, key, version, null, cancellationToken).ConfigureAwait(false);
            if (outcome != DeleteOutcome.AlreadyNewer)
            {
                return (outcome == DeleteOutcome.Removed, version);
            }

            lastKnown = await AboveStoredAsync(ns, key, version, cancellationToken).ConfigureAwait(false);
        }

        throw Contention(key);
    }

    /// <summary>
    /// The store holds a newer version, of a value or a tombstone (a concurrent writer, or a clock
    /// behind another sidecar's): the next attempt goes above it.
    /// </summary>
    private async Task<long> AboveStoredAsync(NamespacePolicy ns, string key, long refused,
        CancellationToken cancellationToken) =>
        Math.Max(await store.LoadVersionAsync(ns, key, cancellationToken).ConfigureAwait(false) ?? refused, refused);

    private static SidecarUnavailableException Contention(string key) =>
        new($"Key '{key}' is under too much write contention; retry.");
}
