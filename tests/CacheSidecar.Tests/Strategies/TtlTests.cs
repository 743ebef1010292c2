using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>DESIGN §4, TTL-based invalidation (with a store, and as a pure cache), on single Redis, cluster and embedded tier.</summary>
public abstract class TtlTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected TtlTests(string redis, MongoFixture mongo) => _host = SidecarHost.Start(redis, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Put_writes_the_store_and_does_not_touch_the_cache_so_freshness_is_bounded_by_the_ttl()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Ttl, key, "1");
        await _host.Client.GetAsync(Ttl, key); // cached "1"

        var put = await _host.Client.PutJsonAsync(Ttl, key, "2");
        var beforeTtl = await _host.Client.GetAsync(Ttl, key);
        _host.Time.Advance(DefaultTtl + TimeSpan.FromSeconds(1));
        var afterTtl = await _host.Client.GetAsync(Ttl, key);

        Assert.True(put.Persisted);
        Assert.Equal("2", (await StoreProbe.LoadAsync(_host, Ttl, key))!.Value.Span.ToArray().AsUtf8());
        Assert.Equal("1", beforeTtl.Text());
        Assert.Equal(ValueSource.Cache, beforeTtl.Source);
        Assert.Equal("2", afterTtl.Text());
        Assert.Equal(ValueSource.Store, afterTtl.Source);
    }

    [Fact]
    public async Task Get_reads_through_as_in_cache_aside()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Ttl, key, "1");

        Assert.Equal(ValueSource.Store, (await _host.Client.GetAsync(Ttl, key)).Source);
        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(Ttl, key)).Source);
    }

    [Fact]
    public async Task Delete_removes_from_the_store_and_the_cache()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Ttl, key, "1");
        await _host.Client.GetAsync(Ttl, key);

        Assert.True((await _host.Client.DeleteAsync(Ttl, key)).Deleted);
        Assert.False((await _host.Client.GetAsync(Ttl, key)).Found);
    }

    [Fact]
    public async Task A_pure_cache_namespace_serves_puts_from_the_cache_until_the_ttl_ends()
    {
        var key = UniqueKey();
        var put = await _host.Client.PutJsonAsync(PureCache, key, """{"session":1}""");

        var read = await _host.Client.GetAsync(PureCache, key);
        _host.Time.Advance(DefaultTtl + TimeSpan.FromSeconds(1));
        var expired = await _host.Client.GetAsync(PureCache, key);

        Assert.True(put.Persisted);
        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Equal("""{"session":1}""", read.Text());
        Assert.Equal(put.Etag, read.Etag);
        Assert.False(expired.Found);
        Assert.Equal(0, _host.Store.Loads + _host.Store.Writes); // no store behind a pure cache
    }

    [Fact]
    public async Task A_pure_cache_namespace_assigns_increasing_versions_and_honours_if_match()
    {
        var key = UniqueKey();
        var first = await _host.Client.PutJsonAsync(PureCache, key, "1");
        var second = await _host.Client.PutJsonAsync(PureCache, key, "2", ifMatch: first.Etag);

        Assert.True(long.Parse(second.Etag, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first.Etag, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(StatusCode.FailedPrecondition, await SidecarHost.StatusOf(() => _host.Client.PutJsonAsync(PureCache, key, "3", ifMatch: first.Etag)));
        Assert.Equal(StatusCode.FailedPrecondition, await SidecarHost.StatusOf(() => _host.Client.DeleteAsync(PureCache, key, first.Etag)));
        Assert.Equal("2", (await _host.Client.GetAsync(PureCache, key)).Text());

        Assert.True((await _host.Client.DeleteAsync(PureCache, key, second.Etag)).Deleted);
        Assert.False((await _host.Client.GetAsync(PureCache, key)).Found);
    }
}

public sealed class TtlOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : TtlTests(redis.Configuration, mongo);

public sealed class TtlOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : TtlTests(redis.Configuration, mongo);

public sealed class TtlOnEmbeddedTierTests(MongoFixture mongo) : TtlTests(redis: null!, mongo);
