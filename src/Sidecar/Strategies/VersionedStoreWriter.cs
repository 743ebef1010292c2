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
                    new StoredRecord(request.Value, request.ContentType, version, request.Tags),
                    expected,
                    cancellationToken)
                .ConfigureAwait(false);
            return outcome == StoreWriteOutcome.Applied
                ? version
                : throw PreconditionFailedException.EtagMismatch(request.Key, expected);
        }

        var lastKnown = 0L;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var version = Versions.Next(time, lastKnown);
            var record = new StoredRecord(request.Value, request.ContentType, version, request.Tags);
            var outcome = request.IfAbsent
                ? await store.InsertIfAbsentAsync(ns, request.Key, record, cancellationToken).ConfigureAwait(false)
                : await store.UpsertIfNewerAsync(ns, request.Key, record, cancellationToken).ConfigureAwait(false);
            if (outcome == StoreWriteOutcome.Applied)
            {
                return version;
            }

            if (outcome == StoreWriteOutcome.PreconditionFailed)
            {
                throw PreconditionFailedException.AlreadyExists(request.Key);
            }

            lastKnown = await AboveStoredAsync(ns, request.Key, version, cancellationToken).ConfigureAwait(false);
        }

        throw Contention(request.Key);
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to the key's counter with the store's atomic increment (which also
    /// takes the next version); an absent key is created holding <paramref name="delta"/> (a counter starts
    /// at 0), guarded like any create-if-absent. Returns the new value and version.
    /// </summary>
    public async Task<(long Value, long Version)> IncrementAsync(NamespacePolicy ns, string key, long delta,
        CancellationToken cancellationToken)
    {
        var lastKnown = 0L;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var outcome = await store.IncrementAsync(ns, key, delta, cancellationToken).ConfigureAwait(false);
            switch (outcome.Status)
            {
                case IncrementStatus.Applied:
                    return (outcome.Value, outcome.Version);
                case IncrementStatus.NotACounter:
                    throw PreconditionFailedException.NotACounter(key);
                case IncrementStatus.Overflow:
                    throw new CounterOverflowException(key, delta);
                case IncrementStatus.Absent:
                    var version = Versions.Next(time, lastKnown);
                    var created = new StoredRecord(Counter.Format(delta), Counter.ContentType, version);
                    var inserted = await store.InsertIfAbsentAsync(ns, key, created, cancellationToken)
                        .ConfigureAwait(false);
                    if (inserted == StoreWriteOutcome.Applied)
                    {
                        return (delta, version);
                    }

                    // Another creator came first (increment its counter next round), or a newer tombstone
                    // is there (create above it).
                    lastKnown = await AboveStoredAsync(ns, key, version, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        throw Contention(key);
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
                : throw PreconditionFailedException.EtagMismatch(key, expected);
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
