namespace CacheSidecar.CacheTier;

/// <summary>One cached value (or a cached "not found" when <see cref="IsNegative"/>).</summary>
/// <param name="ExpiresAt">When the value stops being fresh (logical TTL, from the sidecar's
/// <see cref="TimeProvider"/>). The physical entry lives <c>StaleWindow</c> longer so that a fail-safe
/// read can still serve it.</param>
internal sealed record CacheEntry(
    ReadOnlyMemory<byte> Value,
    string ContentType,
    long Version,
    bool IsNegative,
    DateTimeOffset ExpiresAt)
{
    public static CacheEntry Negative(DateTimeOffset expiresAt) =>
        new(ReadOnlyMemory<byte>.Empty, string.Empty, 0, true, expiresAt);
}
