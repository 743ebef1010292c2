namespace CacheSidecar.Strategies;

/// <summary>One validated Put.</summary>
/// <param name="IfMatch">Write only while the live value is at this version.</param>
/// <param name="IfAbsent">Write only while the key has no live value (create-if-absent, if_none_match "*").</param>
/// <param name="Tags">Tags of the value (validated, distinct); null for none.</param>
internal sealed record WriteRequest(
    string Key,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    TimeSpan? Ttl,
    long? IfMatch,
    bool IfAbsent = false,
    IReadOnlyList<string>? Tags = null);
