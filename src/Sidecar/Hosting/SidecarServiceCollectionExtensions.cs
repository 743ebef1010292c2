using CacheSidecar.Api;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using CacheSidecar.Telemetry;
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
    /// strategies and the gRPC services with their interceptors. The tiers are chosen here, once,
    /// from <paramref name="configuration"/> (see <see cref="DeploymentMode"/>).
    /// </summary>
    public static IServiceCollection AddCacheSidecar(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var mode = DeploymentMode.From(configuration);

        // Strict binding: a misspelt key or a value that does not convert (Strategy "CacheBeside")
        // refuses to start instead of silently dropping the setting or the whole namespace.
        services.AddOptions<SidecarOptions>()
            .BindConfiguration(SidecarOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<SidecarOptions>, SidecarOptionsValidator>());
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<SidecarOptions>, ListenAddressValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(mode);
        services.TryAddSingleton<NamespaceRegistry>();
        services.TryAddSingleton<SidecarMetrics>();
        // Both modes: the write-behind backlog health check reads it (it stays empty when embedded).
        services.TryAddSingleton<WriteBehindMetrics>();

        services.AddRecordStore(mode);
        services.AddHostedService<TombstoneSweeper>();
        if (mode.UsesRedis)
        {
            services.AddRedisTier();
            if (mode.UsesMongo)
            {
                services.AddChangeStreamWatcher();
            }
        }
        else
        {
            services.AddEmbeddedTier();
        }

        services.AddStrategies();
        services.TryAddSingleton<RequestValidator>();
        services.TryAddSingleton<InvalidationStream>();
        var grpc = services.AddGrpc(options =>
        {
            options.Interceptors.Add<MetricsInterceptor>();
            options.Interceptors.Add<BearerTokenInterceptor>();
            options.Interceptors.Add<ExceptionMappingInterceptor>();
            options.EnableDetailedErrors = false;
        });
#if !CACHESIDECAR_AOT_CORE
        // HTTP/JSON builds its System.Text.Json contracts by reflection at the first call, generic
        // instantiations Native AOT cannot compile ahead: the AOT-core build leaves it out (decision 0020).
        grpc.AddJsonTranscoding();
#endif
        services.AddGrpcReflection();

        // grpc.health.v1: "" is overall readiness; each dependency has its own service name.
        services.AddGrpcHealthChecks(options =>
            {
                options.Services.Map(string.Empty, result => result.Tags.Contains(HealthTags.Ready));
                options.Services.Map("cache", result => result.Name == "cache");
                options.Services.Map("store", result => result.Name == "store");
                options.Services.Map("writebehind", result => result.Name == "writebehind");
            })
            .AddCheck<StoreHealthCheck>("store", tags: [HealthTags.Ready])
            .AddCheck<WriteBehindBacklogHealthCheck>("writebehind", tags: [HealthTags.Ready]);
        services.AddHostedService<StartupReporter>();
        services.AddSidecarTelemetry();
        return services;
    }

    /// <summary>Maps the cache service, gRPC health and server reflection.</summary>
    public static IEndpointRouteBuilder MapCacheSidecar(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<CacheGrpcService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        endpoints.MapSidecarProbes();
        endpoints.MapPrometheusScrapingEndpoint(SidecarEndpoints.MetricsPath);
        return endpoints;
    }

    /// <summary>
    /// MongoDB or SQLite, timed by <see cref="MeteredRecordStore"/>: one descriptor, so tests can wrap it.
    /// </summary>
    private static void AddRecordStore(this IServiceCollection services, DeploymentMode mode) =>
        services.TryAddSingleton<IRecordStore>(sp => new MeteredRecordStore(
            mode.UsesMongo
                ? ActivatorUtilities.CreateInstance<MongoRecordStore>(sp)
                : ActivatorUtilities.CreateInstance<SqliteRecordStore>(sp),
            sp.GetRequiredService<SidecarMetrics>()));
}
