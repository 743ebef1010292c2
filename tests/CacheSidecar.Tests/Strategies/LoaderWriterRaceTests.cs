using System.Globalization;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// 1,000 loader-versus-writer races in cache-aside: a Get that misses races a Put of the same
/// key. The loader is slowed between its store read and its fill, which is exactly the window
/// in which a lease-less cache would keep the older value. Afterwards the cache never holds a
/// version older than the store's.
/// </summary>
public abstract class LoaderWriterRaceTests : IAsyncDisposable
{
    private const int Races = 1000;
    private readonly SidecarHost _host;

    protected LoaderWriterRaceTests(string redis, MongoFixture mongo) => _host = SidecarHost.Start(redis, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task After_1000_races_the_cache_never_ends_older_than_the_store()
    {
        // Let the loader's fill trail its read by a little, randomly, so both orders happen.
        _host.Store.AfterLoadRead = _ => Random.Shared.Next(3) == 0 ? Task.Delay(Random.Shared.Next(1, 4)) : Task.CompletedTask;
        var keys = Enumerable.Range(0, Races).Select(i => UniqueKey($"race{i}")).ToArray();
        var olderThanStore = 0;

        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) =>
        {
            await _host.Client.PutJsonAsync(CacheAside, key, "0");
            var loader = _host.Client.GetAsync(CacheAside, key);
            var writer = _host.Client.PutJsonAsync(CacheAside, key, "1");
            await Task.WhenAll(loader, writer);

            var stored = await StoreProbe.LoadAsync(_host, CacheAside, key);
            var read = await _host.Client.GetAsync(CacheAside, key);
            if (read.Etag != stored!.Version.ToString(CultureInfo.InvariantCulture) || read.Text() != "1")
            {
                Interlocked.Increment(ref olderThanStore);
            }
        });

        Assert.Equal(0, olderThanStore);
    }
}

public sealed class LoaderWriterRaceOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : LoaderWriterRaceTests(redis.Configuration, mongo);

public sealed class LoaderWriterRaceOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : LoaderWriterRaceTests(redis.Configuration, mongo);
