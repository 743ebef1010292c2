namespace CacheSidecar.Store;

/// <summary>One value as the system of record holds it.</summary>
/// <param name="Value">The value bytes exactly as a reader gets them.</param>
/// <param name="ContentType">The value's MIME type.</param>
/// <param name="Version">The key's monotonic version (the etag).</param>
internal sealed record StoredRecord(ReadOnlyMemory<byte> Value, string ContentType, long Version);
