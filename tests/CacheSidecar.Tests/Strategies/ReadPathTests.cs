using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>BatchGet, Invalidate and the cluster-wide stampede guard, on single Redis and the cluster.</summary>
public abstract class ReadPathTests : IAsyncDisposable
{
    private readonly string _redis;
    private readonly MongoFixture _mongo;
    private readonly SidecarHost _host;

    protected ReadPathTests(string redis, MongoFixture mongo)
    {
        _redis = redis;
        _mongo = mongo;
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task BatchGet_answers_every_key_in_request_order_with_one_store_query_for_the_misses()
    {
        var keys = Enumerable.Range(0, 30).Select(i => UniqueKey($"b{i}")).ToList();
        for (var i = 0; i < 20; i++)
        {
            await _host.Client.PutJsonAsync(CacheAside, keys[i], i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        for (var i = 0; i < 10; i++)
        {
            await _host.Client.GetAsync(CacheAside, keys[i]); // 0-9 cached, 10-19 only in the store, 20-29 missing
        }

        var loadsBefore = _host.Store.Loads;
        var request = new BatchGetRequest { Namespace = CacheAside };
        request.Keys.AddRange(keys);
        request.Keys.Add(keys[0]); // a duplicate is answered twice
        var response = await _host.Client.BatchGetAsync(request);

        Assert.Equal(31, response.Items.Count);
        for (var i = 0; i < 30; i++)
        {
            var item = response.Items[i];
            Assert.Equal(keys[i], item.Key);
            Assert.Equal(i < 20, item.Result.Found);
            Assert.Equal(i < 10 ? ValueSource.Cache : ValueSource.Store, item.Result.Source);
            if (i < 20)
            {
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), item.Result.Text());
            }
        }

        Assert.Equal(keys[0], response.Items[30].Key);
        Assert.Equal(1, _host.Store.LoadManys);
        Assert.Equal(loadsBefore, _host.Store.Loads);

        // The misses were filled: a second batch is all cache.
        var again = await _host.Client.BatchGetAsync(request);
        Assert.All(again.Items, item => Assert.Equal(ValueSource.Cache, item.Result.Source));
    }

    [Fact]
    public async Task Invalidate_drops_listed_cache_entries_and_leaves_the_store_untouched()
    {
        var keys = new[] { UniqueKey(), UniqueKey() };
        foreach (var key in keys)
        {
            await _host.Client.PutJsonAsync(Ttl, key, "1");
            await _host.Client.GetAsync(Ttl, key);
        }

        var response = await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = Ttl, Keys = { keys } });

        Assert.Equal(2, response.Invalidated);
        foreach (var key in keys)
        {
            var read = await _host.Client.GetAsync(Ttl, key);
            Assert.Equal(ValueSource.Store, read.Source);
            Assert.Equal("1", read.Text());
        }
    }

    [Fact]
    public async Task Invalidate_of_the_whole_namespace_drops_every_entry_of_that_namespace_only()
    {
        var keys = Enumerable.Range(0, 40).Select(i => UniqueKey($"w{i}")).ToList();
        var other = UniqueKey();
        foreach (var key in keys)
        {
            await _host.Client.PutJsonAsync(Ttl, key, "1");
            await _host.Client.GetAsync(Ttl, key);
        }

        await _host.Client.PutJsonAsync(CacheAside, other, "1");
        await _host.Client.GetAsync(CacheAside, other);

        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = Ttl, WholeNamespace = true });

        foreach (var key in keys)
        {
            Assert.Equal(ValueSource.Store, (await _host.Client.GetAsync(Ttl, key)).Source);
        }

        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(CacheAside, other)).Source);
        Assert.Equal("1", (await StoreProbe.LoadAsync(_host, Ttl, keys[0]))!.Value.Span.ToArray().AsUtf8());
    }

    [Fact]
    public async Task Two_sidecars_missing_the_same_key_at_once_make_one_store_load_while_the_lease_is_held()
    {
        await using var second = SidecarHost.Start(_redis, _mongo.ConnectionString, s => s["Sidecar:Redis:KeyPrefix"] = _host.KeyPrefix);
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        _host.Store.LoadDelay = TimeSpan.FromMilliseconds(150);
        second.Store.LoadDelay = TimeSpan.FromMilliseconds(150);

        var reads = await Task.WhenAll(
            Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? _host : second).Client.GetAsync(CacheAside, key)));

        Assert.All(reads, r => Assert.Equal("1", r.Text()));
        Assert.Equal(1, _host.Store.Loads + second.Store.Loads);
    }
}

public sealed class ReadPathOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : ReadPathTests(redis.Configuration, mongo);

public sealed class ReadPathOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : ReadPathTests(redis.Configuration, mongo);
