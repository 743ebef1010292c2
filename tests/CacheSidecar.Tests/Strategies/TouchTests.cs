using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// Touch (DESIGN §2): a cached entry gets a new remaining TTL without being rewritten, on a single Redis,
/// a 3-master cluster and the embedded tier. TTLs run on the host's fake clock.
/// </summary>
public abstract class TouchTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected TouchTests(string redis, MongoFixture mongo) => _host = SidecarHost.Start(redis, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(PureCache)]
    public async Task A_touched_entry_lives_for_the_new_ttl_and_keeps_its_value_and_version(string ns)
    {
        var key = UniqueKey();
        var put = await PutAsync(ns, key, ttl: TimeSpan.FromSeconds(10));
        await _host.Client.GetAsync(ns, key); // cached (cache-aside fills on this read)

        var touch = await TouchAsync(ns, key, TimeSpan.FromMinutes(2));
        _host.Time.Advance(TimeSpan.FromSeconds(30)); // past the old TTL, inside the new one

        Assert.True(touch.Found);
        Assert.Equal(TimeSpan.FromMinutes(2), touch.TtlRemaining.ToTimeSpan());
        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Equal("1", read.Text());
        Assert.Equal(put.Etag, read.Etag); // not rewritten: the same version
        Assert.InRange(read.TtlRemaining.ToTimeSpan(), TimeSpan.FromSeconds(89), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task A_shorter_ttl_ends_the_entry_sooner_and_the_next_read_loads_the_store()
    {
        var key = UniqueKey();
        await PutAsync(CacheAside, key, ttl: null);
        await _host.Client.GetAsync(CacheAside, key);

        Assert.True((await TouchAsync(CacheAside, key, TimeSpan.FromSeconds(1))).Found);
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        var read = await _host.Client.GetAsync(CacheAside, key);
        Assert.Equal(ValueSource.Store, read.Source);
        Assert.Equal("1", read.Text());
    }

    [Theory]
    [InlineData(WriteThrough)]
    [InlineData(PureCache)]
    public async Task Touching_a_key_without_a_live_cached_value_finds_nothing_and_creates_nothing(string ns)
    {
        var never = UniqueKey();
        var expired = UniqueKey();
        await PutAsync(ns, expired, ttl: TimeSpan.FromSeconds(1));
        await _host.Client.GetAsync(ns, expired);
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.False((await TouchAsync(ns, never, TimeSpan.FromMinutes(1))).Found);
        Assert.False((await TouchAsync(ns, expired, TimeSpan.FromMinutes(1))).Found);
        Assert.False((await _host.Client.GetAsync(ns, never)).Found);
        Assert.Equal(ns == PureCache ? 0 : 1, _host.Store.Writes); // only the one Put reached a store
    }

    [Fact]
    public async Task A_cached_not_found_is_not_touched()
    {
        var key = UniqueKey();
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found); // caches "not found" (NegativeTtl)

        Assert.False((await TouchAsync(CacheAside, key, TimeSpan.FromMinutes(5))).Found);
    }

    [Theory]
    [InlineData(null, "ttl is required")]
    [InlineData(-5, "ttl must not be negative")]
    [InlineData(0, "ttl must be positive")]
    [InlineData(7200, "ttl must be at most 01:00:00")]
    public async Task A_bad_ttl_is_invalid_argument_and_changes_nothing(int? seconds, string message)
    {
        var key = Guid.NewGuid().ToString("N")[..12]; // Small allows 16-byte keys
        await PutAsync(Small, key, ttl: null);
        await _host.Client.GetAsync(Small, key); // loads and fills
        var before = (await _host.Client.GetAsync(Small, key)).TtlRemaining.ToTimeSpan();
        var request = new TouchRequest { Namespace = Small, Key = key };
        if (seconds is { } s)
        {
            request.Ttl = new Duration { Seconds = s };
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.TouchAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        var after = await _host.Client.GetAsync(Small, key);
        Assert.Equal(ValueSource.Cache, after.Source);
        Assert.InRange(after.TtlRemaining.ToTimeSpan(), before - TimeSpan.FromSeconds(1), before);
    }

    [Fact]
    public async Task An_unknown_namespace_or_a_bad_key_is_refused()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(() => TouchAsync("no-such-namespace", UniqueKey(), TimeSpan.FromMinutes(1)));
        var empty = await Assert.ThrowsAsync<RpcException>(() => TouchAsync(CacheAside, string.Empty, TimeSpan.FromMinutes(1)));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }

    private async Task<PutResponse> PutAsync(string ns, string key, TimeSpan? ttl)
    {
        var request = new PutRequest
        {
            Namespace = ns,
            Key = key,
            Value = Google.Protobuf.ByteString.CopyFromUtf8("1"),
            ContentType = GrpcTestExtensions.Json,
        };
        if (ttl is { } t)
        {
            request.Ttl = Duration.FromTimeSpan(t);
        }

        return await _host.Client.PutAsync(request);
    }

    private async Task<TouchResponse> TouchAsync(string ns, string key, TimeSpan ttl) =>
        await _host.Client.TouchAsync(new TouchRequest { Namespace = ns, Key = key, Ttl = Duration.FromTimeSpan(ttl) });
}

public sealed class TouchOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : TouchTests(redis.Configuration, mongo);

public sealed class TouchOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : TouchTests(redis.Configuration, mongo);

public sealed class TouchOnEmbeddedTierTests(MongoFixture mongo) : TouchTests(redis: null!, mongo);
