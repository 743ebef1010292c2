namespace CacheSidecar.WriteBehind;

/// <summary>A claimed pending record: the newest acknowledged value of a key, to be flushed.</summary>
/// <param name="VersionText">The version exactly as Redis holds it; completing with it removes the record only if
/// unchanged.</param>
internal sealed record PendingWrite(
    string Key,
    long Version,
    string VersionText,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    bool IsTombstone,
    IReadOnlyList<string>? Tags = null);
