namespace CacheSidecar.Strategies;

/// <summary>Where a read was answered from (mirrors the contract's ValueSource).</summary>
internal enum ReadSource
{
    Cache,

    /// <summary>This instance's L1 near-cache; reported to callers as CACHE.</summary>
    NearCache,
    Pending,
    Store,
}

/// <summary>The answer to one Get.</summary>
internal readonly record struct ReadResult(bool Found, ReadOnlyMemory<byte> Value, string ContentType, long Version, ReadSource Source, bool Stale, TimeSpan? TtlRemaining)
{
    public static ReadResult NotFound(ReadSource source) => new(false, ReadOnlyMemory<byte>.Empty, string.Empty, 0, source, false, null);
}

/// <summary>One validated Put.</summary>
internal sealed record WriteRequest(string Key, ReadOnlyMemory<byte> Value, string ContentType, TimeSpan? Ttl, long? IfMatch);

internal readonly record struct WriteResult(long Version, bool Persisted, bool Queued);

internal readonly record struct DeleteResult(bool Deleted, bool Persisted, bool Queued);

/// <summary>The caller's if-match etag is not the current version; nothing was written.</summary>
internal sealed class PreconditionFailedException(string key, long expectedVersion)
    : Exception($"Key '{key}' is not at etag '{CacheTier.Versions.ToEtag(expectedVersion)}'.");
