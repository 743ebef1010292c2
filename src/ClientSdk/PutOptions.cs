namespace CacheSidecar.Client;

/// <summary>Options of a single Put.</summary>
/// <param name="Ttl">Cache TTL for this entry instead of the namespace default.</param>
/// <param name="IfMatch">Write only if the current etag equals this.</param>
public sealed record PutOptions(TimeSpan? Ttl = null, string? IfMatch = null);
