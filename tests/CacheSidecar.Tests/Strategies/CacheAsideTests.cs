using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>DESIGN §4, cache-aside: one test per sentence, run on a single Redis and on a 3-master cluster.</summary>
public abstract class CacheAsideTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected CacheAsideTests(string redis, MongoFixture mongo) => _host = SidecarHost.Start(redis, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Get_on_a_miss_loads_from_the_store_and_fills_the_cache()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, """{"name":"ada"}""");

        var first = await _host.Client.GetAsync(CacheAside, key);
        var second = await _host.Client.GetAsync(CacheAside, key);

        Assert.Equal(ValueSource.Store, first.Source);
        Assert.Equal("""{"name":"ada"}""", first.Text());
        Assert.Equal(ValueSource.Cache, second.Source);
        Assert.Equal(first.Etag, second.Etag);
        Assert.Equal("""{"name":"ada"}""", second.Text());
        Assert.Equal(1, _host.Store.Loads);
    }

    [Fact]
    public async Task Fill_uses_the_namespace_ttl()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        await _host.Client.GetAsync(CacheAside, key);

        var cached = await _host.Client.GetAsync(CacheAside, key);

        Assert.Equal(ValueSource.Cache, cached.Source);
        var remaining = cached.TtlRemaining.ToTimeSpan();
        Assert.InRange(remaining, DefaultTtl - TimeSpan.FromSeconds(1), DefaultTtl);
    }

    [Fact]
    public async Task Fill_adds_jitter_within_the_configured_bound()
    {
        var remainings = new List<TimeSpan>();
        for (var i = 0; i < 20; i++)
        {
            var key = UniqueKey();
            await _host.Client.PutJsonAsync(CacheAsideJitter, key, "1");
            await _host.Client.GetAsync(CacheAsideJitter, key);
            remainings.Add((await _host.Client.GetAsync(CacheAsideJitter, key)).TtlRemaining.ToTimeSpan());
        }

        Assert.All(remainings, r => Assert.InRange(r, DefaultTtl - TimeSpan.FromSeconds(1), DefaultTtl + Jitter));
        // Twenty draws from a one-minute window are not all within one second of each other.
        Assert.True(remainings.Max() - remainings.Min() > TimeSpan.FromSeconds(1), "jitter spreads expiries");
    }

    [Fact]
    public async Task An_entry_past_its_ttl_is_loaded_again_from_the_store()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        await _host.Client.GetAsync(CacheAside, key);

        _host.Time.Advance(DefaultTtl + TimeSpan.FromSeconds(1));
        var afterTtl = await _host.Client.GetAsync(CacheAside, key);

        Assert.Equal(ValueSource.Store, afterTtl.Source);
        Assert.Equal(2, _host.Store.Loads);
    }

    [Fact]
    public async Task A_missing_key_is_negatively_cached_for_the_negative_ttl()
    {
        var key = UniqueKey();

        var first = await _host.Client.GetAsync(CacheAside, key);
        var second = await _host.Client.GetAsync(CacheAside, key);

        Assert.False(first.Found);
        Assert.Equal(ValueSource.Store, first.Source);
        Assert.False(second.Found);
        Assert.Equal(ValueSource.Cache, second.Source);
        Assert.Equal(1, _host.Store.Loads);

        _host.Time.Advance(NegativeTtl + TimeSpan.FromSeconds(1));
        var afterNegativeTtl = await _host.Client.GetAsync(CacheAside, key);
        Assert.Equal(ValueSource.Store, afterNegativeTtl.Source);
    }

    [Fact]
    public async Task Put_writes_the_store_then_invalidates_the_cache_entry()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        await _host.Client.GetAsync(CacheAside, key); // cached "1"

        var put = await _host.Client.PutJsonAsync(CacheAside, key, "2");
        var after = await _host.Client.GetAsync(CacheAside, key);

        Assert.True(put.Persisted);
        Assert.False(put.Queued);
        Assert.Equal(ValueSource.Store, after.Source);
        Assert.Equal("2", after.Text());
        Assert.Equal(put.Etag, after.Etag);
    }

    [Fact]
    public async Task Put_replaces_a_negative_cache_entry()
    {
        var key = UniqueKey();
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found);

        await _host.Client.PutJsonAsync(CacheAside, key, "1");

        var after = await _host.Client.GetAsync(CacheAside, key);
        Assert.True(after.Found);
        Assert.Equal("1", after.Text());
    }

    [Fact]
    public async Task A_loader_that_read_before_a_concurrent_put_cannot_fill_its_older_value()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, """{"v":"old"}""");
        var loaderHasRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var putDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Store.AfterLoadRead = async k =>
        {
            if (k == key && !loaderHasRead.Task.IsCompleted)
            {
                loaderHasRead.SetResult();
                await putDone.Task; // the loader holds the old value while the Put lands
            }
        };

        var loader = _host.Client.GetAsync(CacheAside, key);
        await loaderHasRead.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _host.Client.PutJsonAsync(CacheAside, key, """{"v":"new"}""");
        putDone.SetResult();
        var loaded = await loader;
        _host.Store.AfterLoadRead = null;

        Assert.Equal("""{"v":"old"}""", loaded.Text()); // the loader itself answers what it read
        var next = await _host.Client.GetAsync(CacheAside, key);
        Assert.Equal("""{"v":"new"}""", next.Text()); // but its fill was dropped: the cache never holds "old"
        Assert.Equal(ValueSource.Store, next.Source);
    }

    [Fact]
    public async Task Delete_removes_from_the_store_and_the_cache()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        await _host.Client.GetAsync(CacheAside, key);

        var deleted = await _host.Client.DeleteAsync(CacheAside, key);
        var after = await _host.Client.GetAsync(CacheAside, key);

        Assert.True(deleted.Deleted);
        Assert.False(after.Found);
        Assert.Equal(ValueSource.Store, after.Source);
        Assert.False((await _host.Client.DeleteAsync(CacheAside, key)).Deleted);
    }

    [Fact]
    public async Task Concurrent_misses_in_one_sidecar_share_one_store_load()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(CacheAside, key, "1");
        _host.Store.LoadDelay = TimeSpan.FromMilliseconds(200);

        var reads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _host.Client.GetAsync(CacheAside, key)));

        Assert.All(reads, r => Assert.Equal("1", r.Text()));
        Assert.Equal(1, _host.Store.Loads);
    }

    [Fact]
    public async Task Versions_increase_with_every_put()
    {
        var key = UniqueKey();
        var etags = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            etags.Add(long.Parse((await _host.Client.PutJsonAsync(CacheAside, key, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Etag, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(etags.Order(), etags);
        Assert.Equal(etags.Count, etags.Distinct().Count());
    }

    [Fact]
    public async Task A_put_with_the_current_etag_succeeds_and_a_stale_etag_is_refused()
    {
        var key = UniqueKey();
        var first = await _host.Client.PutJsonAsync(CacheAside, key, "1");
        var second = await _host.Client.PutJsonAsync(CacheAside, key, "2", ifMatch: first.Etag);

        var stale = await SidecarHost.StatusOf(() => _host.Client.PutJsonAsync(CacheAside, key, "3", ifMatch: first.Etag));

        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, stale);
        var now = await _host.Client.GetAsync(CacheAside, key);
        Assert.Equal("2", now.Text());
        Assert.Equal(second.Etag, now.Etag);
    }

    [Fact]
    public async Task A_delete_with_a_stale_etag_is_refused_and_deletes_nothing()
    {
        var key = UniqueKey();
        var first = await _host.Client.PutJsonAsync(CacheAside, key, "1");
        var second = await _host.Client.PutJsonAsync(CacheAside, key, "2");

        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, await SidecarHost.StatusOf(() => _host.Client.DeleteAsync(CacheAside, key, first.Etag)));
        Assert.True((await _host.Client.GetAsync(CacheAside, key)).Found);
        Assert.True((await _host.Client.DeleteAsync(CacheAside, key, second.Etag)).Deleted);
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found);
    }
}

public sealed class CacheAsideOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : CacheAsideTests(redis.Configuration, mongo);

public sealed class CacheAsideOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : CacheAsideTests(redis.Configuration, mongo);

public sealed class CacheAsideOnEmbeddedTierTests(MongoFixture mongo) : CacheAsideTests(redis: null!, mongo);
