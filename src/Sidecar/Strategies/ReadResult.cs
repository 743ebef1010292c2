namespace CacheSidecar.Strategies;

/// <summary>The answer to one Get.</summary>
internal readonly record struct ReadResult(
    bool Found,
    ReadOnlyMemory<byte> Value,
    string ContentType,
    long Version,
    ReadSource Source,
    bool Stale,
    TimeSpan? TtlRemaining)
{
    public static ReadResult NotFound(ReadSource source) =>
        new(false, ReadOnlyMemory<byte>.Empty, string.Empty, 0, source, false, null);
}
