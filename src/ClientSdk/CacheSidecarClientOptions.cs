using CacheSidecar.Client.NearCache;

namespace CacheSidecar.Client;

/// <summary>
/// Settings of <see cref="CacheSidecarClient"/>, bound by
/// <see cref="CacheSidecarClientServiceCollectionExtensions.AddCacheSidecarClient"/>.
/// </summary>
public sealed class CacheSidecarClientOptions
{
    /// <summary>
    /// The sidecar's address. Default: <c>http://127.0.0.1:50051</c> (the sidecar's default, plaintext
    /// HTTP/2 on loopback). <c>unix:/path/to/grpc.sock</c> connects over a Unix domain socket instead.
    /// </summary>
    public Uri Address { get; set; } = new("http://127.0.0.1:50051");

    /// <summary>Deadline applied to every call that does not pass its own. Default: 2 seconds.</summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bearer token sent on every call when the sidecar has authentication on; null sends none.</summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// How values are turned into bytes and back. Default: <see cref="SystemTextJsonCacheSerializer"/>.
    /// </summary>
    public ICacheValueSerializer Serializer { get; set; } = new SystemTextJsonCacheSerializer();

    /// <summary>
    /// Namespaces answered from an in-process near cache (opt-in, one entry per namespace), kept coherent by the
    /// sidecar's <c>WatchInvalidations</c> stream (<see cref="SidecarNearCache"/>). Empty by default.
    /// </summary>
    /// <example><code>o.NearCaches["products"] = new NearCacheOptions { MaxEntries = 50_000 };</code></example>
    public IDictionary<string, NearCacheOptions> NearCaches { get; } =
        new Dictionary<string, NearCacheOptions>(StringComparer.Ordinal);

    /// <summary>
    /// How often the sidecar sends a heartbeat on the invalidation stream when nothing else happens; the near cache
    /// treats two intervals of silence as a dead stream (clears, bypasses, reconnects). Default: 1 second.
    /// </summary>
    public TimeSpan InvalidationHeartbeat { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Retries of idempotent reads that failed with <c>UNAVAILABLE</c>; on by default, writes never retried.
    /// Applied by <see cref="CacheSidecarClientServiceCollectionExtensions.AddCacheSidecarClient"/> and
    /// <see cref="CacheSidecarChannel.Create"/>.
    /// </summary>
    public CacheSidecarReadRetryOptions ReadRetry { get; set; } = new();
}
