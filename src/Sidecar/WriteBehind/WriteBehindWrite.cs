using CacheSidecar.Store;

namespace CacheSidecar.WriteBehind;

/// <summary>What a write-behind Put, Delete or Increment asks the log to record.</summary>
/// <param name="IfAbsent">Create-if-absent: only when no pending record, entry or store value is live.</param>
/// <param name="IncrementBy">An Increment: the value is computed in the step from the key's current one.</param>
/// <param name="StoreVersionHint">
/// The store's version of the key (value or tombstone), when the step asked for it: nothing in Redis knew.
/// </param>
/// <param name="StoreValue">With the hint: the store's live value, null when the store holds none.</param>
/// <param name="Tags">The value's tags: the entry records their generations, and them for the store.</param>
internal sealed record WriteBehindWrite(
    string Key,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    bool IsTombstone,
    DateTimeOffset EntryExpiresAt,
    long? IfMatch,
    long? StoreVersionHint,
    bool IfAbsent = false,
    long? IncrementBy = null,
    StoredRecord? StoreValue = null,
    IReadOnlyList<string>? Tags = null);
