namespace CacheSidecar.Strategies;

/// <summary>One validated Put.</summary>
internal sealed record WriteRequest(
    string Key,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    TimeSpan? Ttl,
    long? IfMatch);
