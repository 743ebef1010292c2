using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.NearCache;
using CacheSidecar.Redis;
using CacheSidecar.Strategies;
using CacheSidecar.Tests.Infrastructure;
using CacheSidecar.WriteBehind;
using Microsoft.Extensions.DependencyInjection;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Hosting;

/// <summary>
/// The two deployment modes are two sets of registrations (Hosting/TierRegistrations): over Redis one
/// RedisConnection is shared by everything that talks to Redis; embedded, nothing of Redis exists and
/// write-behind runs as write-through (§7).
/// </summary>
public sealed class DeploymentModeTests(RedisSingleFixture redis, MongoFixture mongo)
{
    [Fact]
    public async Task Over_redis_one_connection_serves_the_tier_the_near_cache_and_write_behind()
    {
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString);
        var services = host.Services;

        var connection = services.GetRequiredService<RedisConnection>();
        Assert.Same(connection, services.GetRequiredService<RedisWriteBehindLog>().Connection);
        Assert.IsType<RedisCacheTier>(services.GetRequiredService<ICacheTier>());
        Assert.IsType<WriteBehindStrategy>(
            services.GetRequiredKeyedService<IWriteStrategy>(CacheStrategy.WriteBehind));
        Assert.Same(services.GetRequiredService<NearCacheBus>(), services.GetRequiredService<IInvalidationBroadcast>());

        // A write-behind Put through this mode is queued, not written through.
        var put = await host.Client.PutJsonAsync(Wb, UniqueKey(), "1");
        Assert.True(put.Queued);
    }

    [Fact]
    public async Task Embedded_nothing_of_redis_is_registered_and_write_behind_runs_as_write_through()
    {
        await using var host = SidecarHost.Start(redis: null, mongo.ConnectionString);
        var services = host.Services;

        Assert.Null(services.GetService<RedisConnection>());
        Assert.Null(services.GetService<RedisWriteBehindLog>());
        Assert.Null(services.GetService<NearCacheBus>());
        Assert.IsType<InMemoryCacheTier>(services.GetRequiredService<ICacheTier>());
        Assert.IsType<WriteThroughStrategy>(
            services.GetRequiredKeyedService<IWriteStrategy>(CacheStrategy.WriteBehind));

        var put = await host.Client.PutJsonAsync(Wb, UniqueKey(), "1");
        Assert.True(put.Persisted);
        Assert.False(put.Queued);
    }
}
