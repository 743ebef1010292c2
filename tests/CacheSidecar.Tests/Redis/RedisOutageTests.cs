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
/// delivered does not leave a stale entry once Redis is back (its partition generation is bumped).
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
