using CacheSidecar.Configuration;
using CacheSidecar.Core;

namespace CacheSidecar.Store;

/// <summary>
/// The system of record behind a namespace (MongoDB, or SQLite in the embedded default).
/// Every write is guarded by the key's version so that no write can regress a newer one,
/// and every operation targets one key by its id.
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

    /// <summary>Writes <paramref name="record"/> unless the store holds a version at or above it.</summary>
    Task<StoreWriteOutcome> UpsertIfNewerAsync(
        NamespacePolicy ns,
        string key,
        StoredRecord record,
        CancellationToken cancellationToken);

    /// <summary>Replaces the value only if the stored version equals <paramref name="expectedVersion"/>.</summary>
    Task<StoreWriteOutcome> ReplaceIfVersionAsync(
        NamespacePolicy ns,
        string key,
        StoredRecord record,
        long expectedVersion,
        CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the key (only at <paramref name="expectedVersion"/> when given). Returns whether a value was removed.
    /// </summary>
    Task<bool> DeleteAsync(NamespacePolicy ns, string key, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Applies version-guarded writes and deletes in as few round trips as the store allows,
    /// unordered: one refused document does not stop the others. Returns one outcome per
    /// mutation, in order. Throws <see cref="StoreUnavailableException"/> when the batch as a
    /// whole could not be applied (nothing can be assumed written).
    /// </summary>
    Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(
        NamespacePolicy ns,
        IReadOnlyList<StoreMutation> mutations,
        CancellationToken cancellationToken);
}
