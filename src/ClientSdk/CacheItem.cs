using CacheSidecar.Contracts.V1;

namespace CacheSidecar.Client;

/// <summary>A value read from the sidecar.</summary>
/// <typeparam name="T">The deserialized value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="ETag">The version tag; pass it as <c>ifMatch</c> for a conditional write.</param>
/// <param name="Source">Where the answer came from (cache, pending write-behind record, or store).</param>
/// <param name="Stale">True when the value is past its TTL and served because the store is down.</param>
/// <param name="TtlRemaining">Time the cache entry has left, when it came from the cache.</param>
public sealed record CacheItem<T>(T Value, string ETag, ValueSource Source, bool Stale, TimeSpan? TtlRemaining)
{
    /// <summary>True when this process's near cache answered, without a call to the sidecar.</summary>
    public bool FromNearCache { get; init; }
}
