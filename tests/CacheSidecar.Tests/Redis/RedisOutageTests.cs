using CacheSidecar.Redis;
using Microsoft.Extensions.DependencyInjection;
using CacheSidecar.CacheTier;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Redis;

/// <summary>
/// DESIGN §6, Redis down: writes still succeed on the store, and an invalidation that could not be
/// delivered does not leave a stale entry once Redis is back (its partition generation is bumped),
/// also on an instance that did not write (a restarted Redis is recognised by its run_id).
/// Uses its own AOF redis-server so the stale entry really survives the restart.
/// </summary>
public sealed class RedisOutageTests(MongoFixture mongo)
{
    [Fact]
    public async Task An_invalidation_missed_while_redis_was_down_leaves_no_stale_entry_once_it_is_back()
    {
        await using var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofAlways });
        await using var host = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString);
        var key = UniqueKey();
        await host.Client.PutJsonAsync(CacheAside, key, "1");
        await host.Client.GetAsync(CacheAside, key);
        Assert.Equal(ValueSource.Cache, (await host.Client.GetAsync(CacheAside, key)).Source);

        await redis.StopAsync();
        var put = await host.Client.PutJsonAsync(CacheAside, key, "2"); // store write; the invalidation cannot reach Redis
        var connection = host.Services.GetRequiredService<RedisConnection>();
        Assert.True(put.Persisted);
        Assert.Equal(1, connection.MissedInvalidationCount);

        await redis.RestartAsync(); // the AOF brings the old entry "1" back
        await WaitUntil(() => connection.IsConnected, TimeSpan.FromSeconds(20));
        var afterOutage = await host.Client.GetAsync(CacheAside, key);

        Assert.Equal("2", afterOutage.Text());
        Assert.Equal(put.Etag, afterOutage.Etag);
        Assert.Equal(0, connection.MissedInvalidationCount);
        Assert.Equal(ValueSource.Cache, (await host.Client.GetAsync(CacheAside, key)).Source); // and caching resumed
    }

    [Fact]
    public async Task After_redis_restarts_from_its_aof_no_instance_serves_an_entry_from_before_the_outage()
    {
        await using var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofAlways });
        await using var reader = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString);
        var key = UniqueKey();
        await reader.Client.PutJsonAsync(CacheAside, key, "1");
        await reader.Client.GetAsync(CacheAside, key);
        Assert.Equal(ValueSource.Cache, (await reader.Client.GetAsync(CacheAside, key)).Source);

        await redis.StopAsync();
        await using (var writer = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString, s => s["Sidecar:Redis:KeyPrefix"] = reader.KeyPrefix))
        {
            // Another instance writes while Redis is down, and is gone before Redis is back: the
            // invalidation it missed is never replayed by it.
            Assert.True((await writer.Client.PutJsonAsync(CacheAside, key, "2")).Persisted);
        }

        await redis.RestartAsync(); // the AOF brings the old entry "1" back
        var connection = reader.Services.GetRequiredService<RedisConnection>();
        await WaitUntil(() => connection.IsConnected, TimeSpan.FromSeconds(20));
        var afterOutage = await reader.Client.GetAsync(CacheAside, key);

        Assert.Equal("2", afterOutage.Text()); // the reader saw a new run_id and bumped every partition first
        Assert.Equal(ValueSource.Cache, (await reader.Client.GetAsync(CacheAside, key)).Source);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
