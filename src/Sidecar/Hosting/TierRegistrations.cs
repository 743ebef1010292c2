using CacheSidecar.CacheTier;
using CacheSidecar.ChangeStreams;
using CacheSidecar.Invalidations;
using CacheSidecar.Configuration;
using CacheSidecar.NearCache;
using CacheSidecar.Redis;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using CacheSidecar.WriteBehind;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CacheSidecar.Hosting;

/// <summary>
/// The two deployment modes as two sets of registrations. Over Redis: one
/// <see cref="RedisConnection"/> shared by the tier, the near-cache bus, write-behind and the
/// health check; real write-behind and near-caches. Embedded: the in-process tier, write-behind
/// as write-through (§7), and no near-cache (the tier is already local memory).
/// </summary>
internal static class TierRegistrations
{
    public static void AddRedisTier(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<ICacheTier, RedisCacheTier>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("cache", tags: [HealthTags.Ready]);

        services.TryAddSingleton<NearCacheBus>();
        services.TryAddSingleton<IInvalidationBroadcast>(sp => sp.GetRequiredService<NearCacheBus>());
        services.TryAddSingleton<IInvalidationFeed>(sp => sp.GetRequiredService<NearCacheBus>());
        services.AddHostedService<NearCacheSynchronizer>();

        services.TryAddSingleton<RedisWriteBehindLog>();
        services.TryAddKeyedSingleton<IWriteStrategy, WriteBehindStrategy>(CacheStrategy.WriteBehind);
        services.AddHostedService<WriteBehindFlusher>();
    }

    /// <summary>
    /// The change-stream watcher (DESIGN §10): needs MongoDB to follow and Redis for its lease, so
    /// it exists only when both are configured (the validator refuses ChangeStream otherwise).
    /// </summary>
    public static void AddChangeStreamWatcher(this IServiceCollection services)
    {
        services.TryAddSingleton<IChangeFeed, MongoChangeFeed>();
        services.TryAddSingleton<ChangeStreamMetrics>();
        services.AddHostedService<ChangeStreamWatcher>();
    }

    public static void AddEmbeddedTier(this IServiceCollection services)
    {
        services.TryAddSingleton<ICacheTier, InMemoryCacheTier>();
        services.AddHealthChecks().AddCheck<InProcessCacheHealthCheck>("cache", tags: [HealthTags.Ready]);
        // One instance, one tier: the only invalidations to stream are this instance's own writes.
        services.TryAddSingleton<LocalInvalidationFeed>();
        services.TryAddSingleton<IInvalidationBroadcast>(sp => sp.GetRequiredService<LocalInvalidationFeed>());
        services.TryAddSingleton<IInvalidationFeed>(sp => sp.GetRequiredService<LocalInvalidationFeed>());

        // The in-process tier cannot hold acknowledged writes across a crash: write-behind
        // namespaces run as write-through, and StartupReporter says so for each.
        services.TryAddKeyedSingleton<IWriteStrategy>(
            CacheStrategy.WriteBehind,
            (sp, _) => sp.GetRequiredKeyedService<IWriteStrategy>(CacheStrategy.WriteThrough));
    }

    /// <summary>
    /// The strategies every mode shares, and the resolver that composes each with the shared read
    /// path and, for near-cached namespaces over Redis, the namespace's L1.
    /// </summary>
    public static void AddStrategies(this IServiceCollection services)
    {
        services.TryAddSingleton<ReadThroughReader>();
        services.TryAddSingleton<VersionedStoreWriter>();
        services.TryAddKeyedSingleton<IWriteStrategy, CacheAsideStrategy>(CacheStrategy.CacheAside);
        services.TryAddKeyedSingleton<IWriteStrategy, WriteThroughStrategy>(CacheStrategy.WriteThrough);
        services.TryAddKeyedSingleton<IWriteStrategy, TtlStrategy>(CacheStrategy.Ttl);
        // Write-behind degrades to write-through (OnCacheDown) through this concrete registration.
        services.TryAddSingleton(sp =>
            (WriteThroughStrategy)sp.GetRequiredKeyedService<IWriteStrategy>(CacheStrategy.WriteThrough));
        services.TryAddSingleton(ComposeStrategies);
    }

    private static StrategyResolver ComposeStrategies(IServiceProvider services)
    {
        var reader = services.GetRequiredService<ReadThroughReader>();
        var cache = services.GetRequiredService<ICacheTier>();
        var broadcast = services.GetRequiredService<IInvalidationBroadcast>();
        var plain = Enum.GetValues<CacheStrategy>().ToDictionary(
            strategy => strategy,
            ICacheStrategy (strategy) => new StrategyPipeline(
                reader, services.GetRequiredKeyedService<IWriteStrategy>(strategy), cache, broadcast));
        var nearCache = services.GetService<NearCacheBus>();
        var nearCached = nearCache is null
            ? plain
            : plain.ToDictionary(
                pair => pair.Key,
                ICacheStrategy (pair) => new NearCachedStrategy(pair.Value, nearCache));
        return new StrategyResolver(plain, nearCached);
    }
}
