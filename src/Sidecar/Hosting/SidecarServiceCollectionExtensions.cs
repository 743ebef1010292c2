using CacheSidecar.Api;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using CacheSidecar.WriteBehind;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Hosting;

/// <summary>The sidecar's composition root.</summary>
public static class SidecarServiceCollectionExtensions
{
    /// <summary>
    /// Registers the sidecar: validated options, the cache tier (Redis, or in-process when no
    /// Redis is configured), the store (MongoDB, or SQLite when none is configured), the
    /// strategies and the gRPC services with their interceptors.
    /// </summary>
    public static IServiceCollection AddCacheSidecar(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<SidecarOptions>().BindConfiguration(SidecarOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SidecarOptions>, SidecarOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SidecarOptions>, ListenAddressValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<NamespaceRegistry>();

        services.TryAddSingleton<ICacheTier>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<SidecarOptions>>().Value.Redis.Configuration)
            ? ActivatorUtilities.CreateInstance<InMemoryCacheTier>(sp)
            : ActivatorUtilities.CreateInstance<RedisCacheTier>(sp));
        services.TryAddSingleton<IRecordStore>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<SidecarOptions>>().Value.Mongo.ConnectionString)
            ? ActivatorUtilities.CreateInstance<SqliteRecordStore>(sp)
            : ActivatorUtilities.CreateInstance<MongoRecordStore>(sp));

        services.TryAddSingleton<ReadThroughReader>();
        services.TryAddSingleton<VersionedStoreWriter>();
        services.TryAddSingleton<CacheAsideStrategy>();
        services.TryAddSingleton<WriteThroughStrategy>();
        services.TryAddSingleton<TtlStrategy>();
        services.TryAddSingleton<StrategyResolver>();
        services.TryAddSingleton<WriteBehindMetrics>();
        services.TryAddSingleton(sp => new RedisWriteBehindLog((RedisCacheTier)sp.GetRequiredService<ICacheTier>()));
        services.TryAddSingleton<WriteBehindStrategy>();
        services.AddHostedService<WriteBehindFlusher>();
        services.TryAddSingleton<ExplicitInvalidation>();
        services.TryAddSingleton<RequestValidator>();

        services.AddGrpc(options =>
        {
            options.Interceptors.Add<BearerTokenInterceptor>();
            options.Interceptors.Add<ExceptionMappingInterceptor>();
            options.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<CacheTierHealthCheck>("cache").AddCheck<StoreHealthCheck>("store");
        services.AddHostedService<StartupReporter>();
        return services;
    }

    /// <summary>Maps the cache service, gRPC health and server reflection.</summary>
    public static IEndpointRouteBuilder MapCacheSidecar(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<CacheGrpcService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
