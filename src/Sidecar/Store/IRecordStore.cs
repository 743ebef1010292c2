using CacheSidecar.Configuration;
using CacheSidecar.Core;

namespace CacheSidecar.Store;

/// <summary>
/// The system of record behind a namespace (MongoDB, or SQLite in the embedded default).
/// Every write is guarded by the key's version so that no write can regress a newer one,
/// and every operation targets one key by its id. A delete leaves a tombstone holding its
/// version (purged after the namespace's <c>TombstoneRetention</c>), so versions stay monotonic
/// across deletes; loads treat tombstones as absent.
/// </summary>
internal interface IRecordStore
{
    /// <summary>A short name for logs and the start-up line.</summary>
    string Description { get; }

    Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    /// <summary>Loads several keys in one query; missing keys are absent from the result.</summary>
    Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(
        NamespacePolicy ns,
        IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken);

    /// <summary>The version of the key's value or tombstone; null when the store has neither.</summary>
    Task<long?> LoadVersionAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="record"/> unless the store holds a version at or above it.</summary>
    Task<StoreWriteOutcome> UpsertIfNewerAsync(
        NamespacePolicy ns,
        string key,
        StoredRecord record,
        CancellationToken cancellationToken);

    /// <summary>
    /// Create-if-absent: writes <paramref name="record"/> only when the key has no live value (none, or a
    /// tombstone below the record's version). <see cref="StoreWriteOutcome.PreconditionFailed"/> when a live
    /// value exists (also one another service wrote); <see cref="StoreWriteOutcome.AlreadyNewer"/> when a
    /// tombstone at or above the version does (retry above it).
    /// </summary>
    Task<StoreWriteOutcome> InsertIfAbsentAsync(
        NamespacePolicy ns,
        string key,
        StoredRecord record,
        CancellationToken cancellationToken);

    /// <summary>
    /// Adds <paramref name="delta"/> to the key's integer counter and its version by one, in one atomic
    /// store step (so concurrent increments never retry: each gets the next version). Nothing changes
    /// unless the outcome is <see cref="IncrementStatus.Applied"/>; an absent key is reported, not created.
    /// </summary>
    Task<IncrementOutcome> IncrementAsync(
        NamespacePolicy ns,
        string key,
        long delta,
        CancellationToken cancellationToken);

    /// <summary>Replaces the value only if the stored version equals <paramref name="expectedVersion"/>.</summary>
    Task<StoreWriteOutcome> ReplaceIfVersionAsync(
        NamespacePolicy ns,
        string key,
        StoredRecord record,
        long expectedVersion,
        CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the key with a tombstone at <paramref name="tombstoneVersion"/>: only while the live
    /// value is at <paramref name="expectedVersion"/> when given (if-match), else unless the store
    /// holds that version or a newer one. A missing key gets its tombstone too.
    /// </summary>
    Task<DeleteOutcome> DeleteAsync(
        NamespacePolicy ns,
        string key,
        long tombstoneVersion,
        long? expectedVersion,
        CancellationToken cancellationToken);

    /// <summary>
    /// Applies version-guarded writes and deletes (tombstones) in as few round trips as the store allows,
    /// unordered: one refused document does not stop the others. Returns one outcome per
    /// mutation, in order. Throws <see cref="StoreUnavailableException"/> when the batch as a
    /// whole could not be applied (nothing can be assumed written).
    /// </summary>
    Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(
        NamespacePolicy ns,
        IReadOnlyList<StoreMutation> mutations,
        CancellationToken cancellationToken);

    /// <summary>
    /// Removes tombstones past their purge time and returns how many; a store that expires them
    /// itself (MongoDB's TTL index) returns 0. Called by <see cref="TombstoneSweeper"/>.
    /// </summary>
    Task<int> PurgeTombstonesAsync(CancellationToken cancellationToken);
}
