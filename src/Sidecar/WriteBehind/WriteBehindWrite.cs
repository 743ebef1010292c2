namespace CacheSidecar.WriteBehind;

/// <summary>What a write-behind Put or Delete asks the log to record.</summary>
internal sealed record WriteBehindWrite(
    string Key,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    bool IsTombstone,
    DateTimeOffset EntryExpiresAt,
    long EntryPhysicalTtlMs,
    long? IfMatch,
    long? StoreVersionHint);
