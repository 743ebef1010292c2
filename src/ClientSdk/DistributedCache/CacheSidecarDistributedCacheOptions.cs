namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// Settings of the sidecar-backed <c>IDistributedCache</c>, bound by
/// <see cref="CacheSidecarDistributedCacheServiceCollectionExtensions.AddCacheSidecarDistributedCache"/>. The
/// connection itself (address, deadline, token) is the SDK's <see cref="CacheSidecarClientOptions"/>.
/// </summary>
public sealed class CacheSidecarDistributedCacheOptions
{
    /// <summary>
    /// The sidecar namespace every entry is written to. Required. A pure cache namespace (strategy <c>Ttl</c>
    /// without a <c>Collection</c>) gives <c>IDistributedCache</c> semantics exactly: an entry is gone once it
    /// expires. A store-backed namespace keeps entries in its store after their cache entry expires; there only
    /// absolute expirations are honoured (on read) and sliding ones are refused. Entries written without any
    /// expiration live for the namespace's TTL; none lives longer than its <c>MaxTtl</c>.
    /// </summary>
    public string Namespace { get; set; } = string.Empty;
}
