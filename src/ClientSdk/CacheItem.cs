using CacheSidecar.Contracts.V1;

namespace CacheSidecar.Client;

/// <summary>A value read from the sidecar.</summary>
/// <typeparam name="T">The deserialized value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="ETag">The version tag; pass it as <c>ifMatch</c> for a conditional write.</param>
/// <param name="Source">Where the answer came from (cache, pending write-behind record, or store).</param>
/// <param name="Stale">True when the value is past its TTL and served because the store is down.</param>
/// <param name="TtlRemaining">Time the cache entry has left, when it came from the cache.</param>
public sealed record CacheItem<T>(T Value, string ETag, ValueSource Source, bool Stale, TimeSpan? TtlRemaining);

/// <summary>The outcome of a Put.</summary>
/// <param name="ETag">The version tag of the value just written.</param>
/// <param name="Persisted">True when the store holds the value when the call returns.</param>
/// <param name="Queued">True when the store write is queued (write-behind) but durably acknowledged.</param>
public sealed record PutResult(string ETag, bool Persisted, bool Queued);

/// <summary>Options of a single Put.</summary>
/// <param name="Ttl">Cache TTL for this entry instead of the namespace default.</param>
/// <param name="IfMatch">Write only if the current etag equals this.</param>
public sealed record PutOptions(TimeSpan? Ttl = null, string? IfMatch = null);
