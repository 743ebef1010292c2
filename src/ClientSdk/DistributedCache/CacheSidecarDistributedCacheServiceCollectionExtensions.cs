using CacheSidecar.Contracts.V1;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>DI registration of the sidecar as the application's <see cref="IDistributedCache"/>.</summary>
public static class CacheSidecarDistributedCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> as one singleton over
    /// the sidecar namespace <see cref="CacheSidecarDistributedCacheOptions.Namespace"/>, so ASP.NET Core
    /// sessions and <c>HybridCache</c> (as its L2) use the sidecar unchanged. It calls on the SDK's client
    /// registration: the one made by <c>AddCacheSidecarClient</c> when there is one (its address, deadline and
    /// token apply), else <c>AddCacheSidecarClient()</c> with its defaults. Like <c>AddStackExchangeRedisCache</c>,
    /// it replaces any distributed cache registered before it (e.g. <c>AddDistributedMemoryCache</c>).
    /// Times are read from the registered <see cref="TimeProvider"/>, else the system clock.
    /// </summary>
    /// <example><code>
    /// services.AddCacheSidecarClient(o => o.Address = new Uri("unix:/var/run/cachesidecar/grpc.sock"));
    /// services.AddCacheSidecarDistributedCache(o => o.Namespace = "sessions");
    /// services.AddSession();      // and/or services.AddHybridCache();
    /// </code></example>
    /// <exception cref="OptionsValidationException">
    /// On first use (or at start-up in a host) when <see cref="CacheSidecarDistributedCacheOptions.Namespace"/>
    /// is empty.
    /// </exception>
    public static IServiceCollection AddCacheSidecarDistributedCache(this IServiceCollection services,
        Action<CacheSidecarDistributedCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CacheSidecarDistributedCacheOptions>()
            .Configure(configure)
            .Validate(
                o => !string.IsNullOrWhiteSpace(o.Namespace),
                "CacheSidecarDistributedCacheOptions.Namespace is required: the sidecar namespace entries go to.")
            .ValidateOnStart();

        if (!services.Any(d => d.ServiceType == typeof(Cache.CacheClient)))
        {
            services.AddCacheSidecarClient();
        }

        services.TryAddSingleton(sp =>
        {
            // Options first: a missing namespace is reported as such, before anything else is built.
            var @namespace = sp.GetRequiredService<IOptions<CacheSidecarDistributedCacheOptions>>().Value.Namespace;
            return new SidecarDistributedCache(
                sp.GetRequiredService<Cache.CacheClient>(),
                sp.GetRequiredService<IOptions<CacheSidecarClientOptions>>().Value,
                @namespace,
                sp.GetService<TimeProvider>() ?? TimeProvider.System);
        });
        // Add, not TryAdd: asking for the sidecar is explicit and must win over a default registered earlier.
        services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredService<SidecarDistributedCache>());
        services.AddSingleton<IBufferDistributedCache>(sp => sp.GetRequiredService<SidecarDistributedCache>());
        return services;
    }
}
