using CacheSidecar.Client;
using CacheSidecar.Client.DistributedCache;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// An application's container with the SDK's distributed cache over a test sidecar, registered as an application
/// would: <c>AddCacheSidecarClient</c> with the sidecar's address, then <c>AddCacheSidecarDistributedCache</c>.
/// </summary>
internal static class DistributedCacheServices
{
    /// <param name="more">Further registrations of the application (HybridCache, a clock, …).</param>
    public static ServiceProvider For(SidecarHost host, string ns, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCacheSidecarClient(o => o.Address = host.KestrelAddress!);
        services.AddCacheSidecarDistributedCache(o => o.Namespace = ns);
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
