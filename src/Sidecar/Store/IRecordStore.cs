using CacheSidecar.Configuration;
using CacheSidecar.Core;

namespace CacheSidecar.Store;

/// <summary>One value as the system of record holds it.</summary>
/// <param name="Value">The value bytes exactly as a reader gets them.</param>
/// <param name="ContentType">The value's MIME type.</param>
/// <param name="Version">The key's monotonic version (the etag).</param>
internal sealed record StoredRecord(ReadOnlyMemory<byte> Value, string ContentType, long Version);

/// <summary>Outcome of a version-guarded store write.</summary>
internal enum StoreWriteOutcome
{
    /// <summary>The store now holds the written version.</summary>
    Applied,

    /// <summary>The store already holds this or a newer version; nothing changed.</summary>
    AlreadyNewer,

    /// <summary>The caller's expected version (if-match) is not the stored one; nothing changed.</summary>
    PreconditionFailed,
}

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
    Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="record"/> unless the store holds a version at or above it.</summary>
    Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record, CancellationToken cancellationToken);

    /// <summary>Replaces the value only if the stored version equals <paramref name="expectedVersion"/>.</summary>
    Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>Deletes the key (only at <paramref name="expectedVersion"/> when given). Returns whether a value was removed.</summary>
    Task<bool> DeleteAsync(NamespacePolicy ns, string key, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Applies version-guarded writes and deletes in as few round trips as the store allows,
    /// unordered: one refused document does not stop the others. Returns one outcome per
    /// mutation, in order. Throws <see cref="StoreUnavailableException"/> when the batch as a
    /// whole could not be applied (nothing can be assumed written).
    /// </summary>
    Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(NamespacePolicy ns, IReadOnlyList<StoreMutation> mutations, CancellationToken cancellationToken);
}

/// <summary>One write-behind store write: the key's value at <paramref name="Version"/>, or its deletion when <paramref name="Record"/> is null.
/// Either only takes effect while the stored version is older.</summary>
internal sealed record StoreMutation(string Key, long Version, StoredRecord? Record);

internal enum MutationStatus
{
    /// <summary>The store now reflects the mutation (or already did: nothing older was left to delete).</summary>
    Applied,

    /// <summary>The store holds a newer version: nothing to do, do not retry.</summary>
    AlreadyNewer,

    /// <summary>The store refused this document (validation, a field it cannot hold).</summary>
    Rejected,
}

internal readonly record struct MutationOutcome(MutationStatus Status, string? Error)
{
    public static readonly MutationOutcome Applied = new(MutationStatus.Applied, null);
    public static readonly MutationOutcome AlreadyNewer = new(MutationStatus.AlreadyNewer, null);

    public static MutationOutcome Rejected(string error) => new(MutationStatus.Rejected, error);
}
