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
    /// Retries of idempotent reads that failed with <c>UNAVAILABLE</c>; on by default, writes never retried.
    /// Applied by <see cref="CacheSidecarClientServiceCollectionExtensions.AddCacheSidecarClient"/> and
    /// <see cref="CacheSidecarChannel.Create"/>.
    /// </summary>
    public CacheSidecarReadRetryOptions ReadRetry { get; set; } = new();
}
