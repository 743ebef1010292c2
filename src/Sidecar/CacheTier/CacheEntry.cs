namespace CacheSidecar.CacheTier;

/// <summary>One cached value (or a cached "not found" when <see cref="IsNegative"/>).</summary>
/// <param name="ExpiresAt">When the value stops being fresh (logical TTL, from the sidecar's
/// <see cref="TimeProvider"/>). The physical entry lives <c>StaleWindow</c> longer so that a fail-safe
/// read can still serve it.</param>
/// <param name="Tags">The tags the value was written with; the tier records their generations beside the
/// entry and stops serving it once one of them is invalidated. Null for none (and on entries read back).</param>
internal sealed record CacheEntry(
    ReadOnlyMemory<byte> Value,
    string ContentType,
    long Version,
    bool IsNegative,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<string>? Tags = null)
{
    public static CacheEntry Negative(DateTimeOffset expiresAt) =>
        new(ReadOnlyMemory<byte>.Empty, string.Empty, 0, true, expiresAt);
}
