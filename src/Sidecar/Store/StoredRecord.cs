namespace CacheSidecar.Store;

/// <summary>One value as the system of record holds it.</summary>
/// <param name="Value">The value bytes exactly as a reader gets them.</param>
/// <param name="ContentType">The value's MIME type.</param>
/// <param name="Version">The key's monotonic version (the etag).</param>
/// <param name="Tags">The tags it was written with (<c>InvalidateTags</c> drops its cache entries); null: none.</param>
internal sealed record StoredRecord(
    ReadOnlyMemory<byte> Value,
    string ContentType,
    long Version,
    IReadOnlyList<string>? Tags = null);
