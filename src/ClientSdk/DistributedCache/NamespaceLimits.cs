using CacheSidecar.Contracts.V1;
using Grpc.Core;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// What the distributed cache must know of its namespace's policy: the longest TTL the sidecar accepts, and
/// whether a store sits behind the cache (then the store keeps a value after its cache entry expires).
/// </summary>
internal sealed record NamespaceLimits(TimeSpan MaxTtl, bool HasStore)
{
    /// <summary>Picks the namespace's policy out of a <c>ListNamespaces</c> answer.</summary>
    /// <exception cref="CacheSidecarException"><c>NotFound</c>: the sidecar has no such namespace.</exception>
    public static NamespaceLimits From(ListNamespacesResponse response, string @namespace)
    {
        var policy = response.Namespaces.FirstOrDefault(p => p.Name == @namespace)
            ?? throw new CacheSidecarException(new RpcException(new Status(
                StatusCode.NotFound,
                $"The sidecar has no namespace '{@namespace}' for the distributed cache; "
                    + "ListNamespaces shows the configured ones.")));
        return new NamespaceLimits(
            policy.MaxTtl?.ToTimeSpan() ?? TimeSpan.MaxValue,
            !string.IsNullOrEmpty(policy.Collection));
    }
}
