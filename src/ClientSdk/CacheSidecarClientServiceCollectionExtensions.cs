using CacheSidecar.Client.NearCache;
using CacheSidecar.Contracts.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Client;

/// <summary>DI registration of <see cref="CacheSidecarClient"/>.</summary>
public static class CacheSidecarClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CacheSidecarClient"/> and the generated <c>Cache.CacheClient</c> on
    /// Grpc.Net.ClientFactory (pooled HTTP/2 connections), with retries of idempotent reads
    /// (<see cref="CacheSidecarClientOptions.ReadRetry"/>). Returns the client builder so callers
    /// can add handlers, e.g. Polly resilience.
    /// </summary>
    /// <example><code>
    /// services.AddCacheSidecarClient(o => o.Address = new Uri("http://127.0.0.1:50051"));
    /// // or, on the pod's shared socket: o.Address = new Uri("unix:/var/run/cachesidecar/grpc.sock")
    /// var item = await client.GetAsync&lt;User&gt;("users", "42");
    /// </code></example>
    public static IHttpClientBuilder AddCacheSidecarClient(this IServiceCollection services,
        Action<CacheSidecarClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CacheSidecarClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddTransient<CacheSidecarClient>();
        // One near cache (and one invalidation stream) per process, whatever the number of clients resolved.
        services.TryAddSingleton(sp => new SidecarNearCache(
            sp.GetRequiredService<Cache.CacheClient>(),
            sp.GetRequiredService<IOptions<CacheSidecarClientOptions>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services
            .AddGrpcClient<Cache.CacheClient>((sp, grpc) =>
            {
                var address = sp.GetRequiredService<IOptions<CacheSidecarClientOptions>>().Value.Address;
                grpc.Address = UnixSocketAddress.IsUnixSocket(address) ? UnixSocketAddress.HttpAddress : address;
            })
            .ConfigureChannel((sp, channel) =>
            {
                // Retries of idempotent reads, the same policy as CacheSidecarChannel.Create's.
                var options = sp.GetRequiredService<IOptions<CacheSidecarClientOptions>>().Value;
                channel.ServiceConfig = CacheSidecarChannel.ServiceConfigFor(options);
            })
            .ConfigurePrimaryHttpMessageHandler((handler, sp) =>
            {
                // unix:/path: the same pooled HTTP/2 handler, its connections opened on the socket.
                var address = sp.GetRequiredService<IOptions<CacheSidecarClientOptions>>().Value.Address;
                if (UnixSocketAddress.IsUnixSocket(address) && handler is SocketsHttpHandler sockets)
                {
                    UnixSocketAddress.Connect(sockets, address);
                }
            });
    }
}
