namespace CacheSidecar.Client.NearCache;

/// <summary>
/// One namespace's in-process near cache (<see cref="CacheSidecarClientOptions.NearCaches"/>): values this process
/// read recently, answered from memory and dropped when the sidecar streams an invalidation for them
/// (<c>WatchInvalidations</c>). The namespace must publish its invalidations (<c>PublishInvalidations</c> or
/// <c>NearCache</c> on the sidecar); otherwise the near cache stays bypassed and says so in its metrics.
/// </summary>
public sealed class NearCacheOptions
{
    /// <summary>Most entries held. Default: 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Most bytes held (values, keys and a per-entry overhead). Default: 64 MiB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Longest time one entry is answered from memory, whatever the stream says: a last safety bound.
    /// Never longer than the value's own remaining TTL. Default: 5 minutes.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Hand every hit of an entry the same deserialized instance (decoded on the first hit), as <c>IMemoryCache</c>
    /// and FusionCache do: a hit then costs a lookup, not a deserialization. Treat values read from a near-cached
    /// namespace as read-only. False deserializes a private copy on every hit. Default: true.
    /// </summary>
    public bool ShareInstances { get; set; } = true;

    internal void Validate(string @namespace)
    {
        if (MaxEntries < 1 || MaxBytes < 1024 || MaxAge <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"Near cache of '{@namespace}': MaxEntries must be at least 1, MaxBytes at least 1024 "
                + "and MaxAge positive.");
        }
    }
}
