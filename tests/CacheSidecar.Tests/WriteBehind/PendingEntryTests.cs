using CacheSidecar.Contracts.V1;
using CacheSidecar.Redis;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.WriteBehind;

/// <summary>
/// Write-behind in one record (decision 0019): the cache entry is the pending record until the flush. It
/// keeps no expiry while pending, no invalidation loses its value, the flush gives the entry its expiry
/// back, and a pending record an older sidecar wrote in the two-record layout is still read and flushed.
/// </summary>
public abstract class PendingEntryTests : IAsyncDisposable
{
    private readonly SidecarHost _host;
    private readonly WriteBehindProbe _probe;
    private readonly CacheSidecar.Configuration.NamespacePolicy _policy;

    protected PendingEntryTests(string redis, MongoFixture mongo)
    {
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
        _host.Services.GetRequiredService<CacheSidecar.Configuration.NamespaceRegistry>().TryGet(Wb, out var policy);
        _policy = policy;
        _probe = new WriteBehindProbe(redis, policy);
    }

    public async ValueTask DisposeAsync()
    {
        await _probe.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_pending_entry_has_no_expiry_until_its_flush_which_gives_it_the_rest_of_its_ttl()
    {
        var key = UniqueKey();
        _host.Store.FailBatches();
        await _host.Client.PutJsonAsync(Wb, key, "1");

        Assert.True(await _probe.HasPendingAsync(key));
        Assert.Null(await _probe.Db.KeyTimeToLiveAsync(Entry(key)));

        _host.Store.BeforeBatch = null;
        await FlushedAsync(key);

        var ttl = await _probe.Db.KeyTimeToLiveAsync(Entry(key));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10)); // the namespace's 10 min TTL
        var read = await _host.Client.GetAsync(Wb, key);
        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Equal("1", read.Text());
    }

    [Fact]
    public async Task An_invalidated_pending_entry_is_still_read_and_flushed_and_then_reloaded_from_the_store()
    {
        var key = UniqueKey();
        _host.Store.FailBatches();
        var put = await _host.Client.PutJsonAsync(Wb, key, "\"mine\"");
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = Wb, Keys = { key } });

        var pending = await _host.Client.GetAsync(Wb, key);
        Assert.Equal(ValueSource.Pending, pending.Source); // not a cache hit any more, but not lost either
        Assert.Equal("\"mine\"", pending.Text());
        Assert.Equal(put.Etag, pending.Etag);

        _host.Store.BeforeBatch = null;
        await FlushedAsync(key);

        // Flushed, the invalidated entry is only a version floor: the next read loads the store.
        var reloaded = await _host.Client.GetAsync(Wb, key);
        Assert.Equal(ValueSource.Store, reloaded.Source);
        Assert.Equal(put.Etag, reloaded.Etag);
    }

    [Fact]
    public async Task Touch_moves_a_pending_entrys_expiry_without_giving_it_a_redis_ttl()
    {
        var key = UniqueKey();
        _host.Store.FailBatches();
        await _host.Client.PutJsonAsync(Wb, key, "1");

        var touched = await _host.Client.TouchAsync(new TouchRequest
        {
            Namespace = Wb, Key = key, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)),
        });

        Assert.True(touched.Found);
        Assert.Null(await _probe.Db.KeyTimeToLiveAsync(Entry(key))); // Redis keeps it until the flush
        Assert.True(await _probe.HasPendingAsync(key));
        _host.Store.BeforeBatch = null;
    }

    [Fact]
    public async Task A_pending_record_of_the_two_record_layout_is_read_and_flushed()
    {
        // What a sidecar before decision 0019 left behind: a pending record beside the entry, and its log entry.
        var key = UniqueKey();
        var keys = RedisKeyLayout.For(_policy, key);
        var version = Core.Versions.NowMicros(_host.Time);
        // A flusher may claim the record at any time: it moves it into the entry, but cannot flush it yet.
        _host.Store.FailBatches();
        await _probe.Db.HashSetAsync(keys.LegacyPending,
        [
            new HashEntry("v", version), new HashEntry("c", GrpcTestExtensions.Json), new HashEntry("d", "\"legacy\""),
            new HashEntry("n", "0"), new HashEntry("t", string.Empty),
        ]);
        await _probe.Db.StreamAddAsync(keys.Log, [new NameValueEntry("k", key), new NameValueEntry("v", version)]);

        var before = await _host.Client.GetAsync(Wb, key);
        Assert.Equal(ValueSource.Pending, before.Source);
        Assert.Equal("\"legacy\"", before.Text());

        _host.Store.BeforeBatch = null;
        await StoreProbe.FlushedAsync(_host, Wb, key);
        await WriteBehindProbe.WaitUntilAsync(async () => await _probe.BacklogAsync() == 0, TimeSpan.FromSeconds(20),
            "the log is empty", () => _host.Time.Advance(FlushInterval));

        var stored = await StoreProbe.LoadAsync(_host, Wb, key);
        Assert.Equal(version, stored!.Version);
        Assert.Equal("\"legacy\"", stored.Value.Span.ToArray().AsUtf8());
        Assert.False(await _probe.Db.KeyExistsAsync(keys.LegacyPending));
        Assert.Equal("\"legacy\"", (await _host.Client.GetAsync(Wb, key)).Text());
    }

    /// <summary>Until the store holds the key and its entry is no longer pending (the flush round completed).</summary>
    private async Task FlushedAsync(string key)
    {
        await StoreProbe.FlushedAsync(_host, Wb, key);
        await WriteBehindProbe.WaitUntilAsync(async () => !await _probe.HasPendingAsync(key), TimeSpan.FromSeconds(20),
            "the entry is no longer pending", () => _host.Time.Advance(FlushInterval));
    }

    private RedisKey Entry(string key) => RedisKeyLayout.For(_policy, key).Entry;
}

public sealed class PendingEntryOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo)
    : PendingEntryTests(redis.Configuration, mongo);

public sealed class PendingEntryOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo)
    : PendingEntryTests(redis.Configuration, mongo);
