namespace CacheSidecar.Client;

/// <summary>Options of a single Put.</summary>
/// <param name="Ttl">Cache TTL for this entry instead of the namespace default.</param>
/// <param name="IfMatch">Write only if the current etag equals this.</param>
/// <param name="Tags">
/// Tags of the value (at most 16, each 1-128 UTF-8 bytes): <see cref="CacheSidecarClient.InvalidateTagsAsync"/> of
/// any of them stops it being served from every cache. Replaces the key's previous tags.
/// </param>
public sealed record PutOptions(TimeSpan? Ttl = null, string? IfMatch = null, IReadOnlyList<string>? Tags = null);
