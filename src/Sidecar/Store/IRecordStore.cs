using CacheSidecar.Configuration;

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
}

/// <summary>The store could not be reached or did not answer in time.</summary>
internal sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The store refused a value (a document it cannot hold); the caller's input is at fault.</summary>
internal sealed class StoreRejectedValueException(string message, Exception? inner = null) : Exception(message, inner);
