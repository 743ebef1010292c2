using System.Diagnostics;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.NearCache;
using CacheSidecar.Tests.Infrastructure;
using CacheSidecar.Testing.Redis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.NearCache;

/// <summary>
/// The L1 near-cache across two in-process sidecars on one Redis key space: reads are served from
/// memory, and a write on either instance stops both serving the old value.
/// </summary>
public abstract class NearCacheTests : IAsyncDisposable
{
    /// <summary>
    /// How long another instance may go on serving a value after the write returned. Delivery is
    /// in milliseconds (see the process-level test's measurements); the bound leaves room for a
    /// loaded CI machine and stays far below the namespaces' 1-minute L1 TTL, so expiry cannot
    /// pass a test that invalidation failed.
    /// </summary>
    internal static readonly TimeSpan PropagationBound = TimeSpan.FromSeconds(2);

    private readonly string _redis;
    private readonly SidecarHost _a;
    private readonly SidecarHost _b;

    protected NearCacheTests(string redis, MongoFixture mongo)
    {
        _redis = redis;
        _a = SidecarHost.Start(redis, mongo.ConnectionString);
        _b = SidecarHost.Start(redis, mongo.ConnectionString, settings => settings["Sidecar:Redis:KeyPrefix"] = _a.KeyPrefix);
    }

    public async ValueTask DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task A_repeated_read_is_answered_from_the_near_cache()
    {
        await BothInSync();
        var key = UniqueKey();
        await _a.Client.PutJsonAsync(NearCached, key, "1");

        var first = await _b.Client.GetAsync(NearCached, key);
        var loadsAfterFirst = _b.Store.Loads;
        var second = await _b.Client.GetAsync(NearCached, key);

        Assert.True(L1(_b, NearCached).TryGet(key, out var held));
        Assert.Equal(first.Etag, CacheSidecar.Core.Versions.ToEtag(held.Version));
        Assert.Equal(ValueSource.Cache, second.Source); // the contract does not tell L1 from Redis
        Assert.Equal(first.Etag, second.Etag);
        Assert.Equal("1", second.Text());
        Assert.Equal(loadsAfterFirst, _b.Store.Loads);
    }

    [Fact]
    public async Task After_a_put_returns_on_one_instance_the_other_stops_serving_the_old_value()
    {
        await BothInSync();
        var key = UniqueKey();
        await _a.Client.PutJsonAsync(NearCached, key, "\"old\"");
        await WarmAsync(_b, NearCached, key);

        await _a.Client.PutJsonAsync(NearCached, key, "\"new\"");
        await UntilAsync(async () => (await _b.Client.GetAsync(NearCached, key)).Text() == "\"new\"", PropagationBound);
    }

    [Fact]
    public async Task After_invalidate_tags_returns_on_one_instance_neither_near_cache_serves_the_tagged_value()
    {
        await BothInSync();
        var key = UniqueKey();
        var put = new PutRequest { Namespace = NearCached, Key = key, Value = Google.Protobuf.ByteString.CopyFromUtf8("1"), ContentType = GrpcTestExtensions.Json, Tags = { "catalog" } };
        await _a.Client.PutAsync(put);
        await WarmAsync(_a, NearCached, key);
        await WarmAsync(_b, NearCached, key);

        await _a.Client.InvalidateTagsAsync(new InvalidateTagsRequest { Namespace = NearCached, Tags = { "catalog" } });

        Assert.False(L1(_a, NearCached).TryGet(key, out _)); // the calling instance at once
        Assert.Equal(ValueSource.Store, (await _a.Client.GetAsync(NearCached, key)).Source);
        await UntilAsync(() => Task.FromResult(!L1(_b, NearCached).TryGet(key, out _)), PropagationBound);
    }

    [Fact]
    public async Task The_writing_instance_reads_its_own_write_at_once()
    {
        await BothInSync();
        var key = UniqueKey();
        await _b.Client.PutJsonAsync(NearCached, key, "\"old\"");
        await WarmAsync(_b, NearCached, key);

        await _b.Client.PutJsonAsync(NearCached, key, "\"new\"");

        Assert.Equal("\"new\"", (await _b.Client.GetAsync(NearCached, key)).Text());
    }

    [Fact]
    public async Task A_delete_on_one_instance_stops_the_other_serving_the_value()
    {
        await BothInSync();
        var key = UniqueKey();
        await _a.Client.PutJsonAsync(NearCached, key, "1");
        await WarmAsync(_b, NearCached, key);

        await _a.Client.DeleteAsync(NearCached, key);

        await UntilAsync(async () => !(await _b.Client.GetAsync(NearCached, key)).Found, PropagationBound);
        Assert.False((await _a.Client.GetAsync(NearCached, key)).Found);
    }

    [Fact]
    public async Task Invalidating_keys_drops_them_from_every_near_cache()
    {
        await BothInSync();
        var (key, other) = (UniqueKey(), UniqueKey());
        await _a.Client.PutJsonAsync(NearCached, key, "1");
        await _a.Client.PutJsonAsync(NearCached, other, "2");
        await WarmAsync(_b, NearCached, key);
        await WarmAsync(_b, NearCached, other);

        await _a.Client.InvalidateAsync(new InvalidateRequest { Namespace = NearCached, Keys = { key } });

        await UntilAsync(() => Task.FromResult(!L1(_b, NearCached).TryGet(key, out _)), PropagationBound);
        // Whether `other` is still held is not asserted here: B may clear its whole L1 at any
        // time for safety (a check that ran while a message was in flight looks like a lost
        // message). That only the named keys are dropped is NamespaceNearCacheTests' job.
        Assert.Equal("2", (await _b.Client.GetAsync(NearCached, other)).Text());
    }

    [Fact]
    public async Task Invalidating_the_namespace_clears_every_near_cache()
    {
        await BothInSync();
        var keys = new[] { UniqueKey(), UniqueKey(), UniqueKey() };
        foreach (var key in keys)
        {
            await _a.Client.PutJsonAsync(NearCached, key, "1");
            await WarmAsync(_b, NearCached, key);
        }

        await _a.Client.InvalidateAsync(new InvalidateRequest { Namespace = NearCached, WholeNamespace = true });

        await UntilAsync(() => Task.FromResult(keys.All(key => !L1(_b, NearCached).TryGet(key, out _))), PropagationBound);
    }

    [Fact]
    public async Task A_write_behind_put_stops_the_other_instance_serving_the_old_value()
    {
        await BothInSync();
        var key = UniqueKey();
        await _a.Client.PutJsonAsync(NearCachedWb, key, "\"old\"");
        await WarmAsync(_b, NearCachedWb, key);

        var put = await _a.Client.PutJsonAsync(NearCachedWb, key, "\"new\"");

        Assert.True(put.Queued);
        await UntilAsync(async () => (await _b.Client.GetAsync(NearCachedWb, key)).Text() == "\"new\"", PropagationBound);
    }

    [Fact]
    public async Task An_invalidation_published_but_never_received_is_caught_by_the_periodic_check()
    {
        await BothInSync();
        var key = UniqueKey();
        await _a.Client.PutJsonAsync(NearCached, key, "1");
        await WarmAsync(_b, NearCached, key);

        // The counter moves as if a message went out, but nobody receives one: a lost message.
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_redis))
        {
            await redis.GetDatabase().StringIncrementAsync(SequenceKey(NearCached));
        }

        Assert.True(L1(_b, NearCached).TryGet(key, out _)); // nothing told B yet
        _b.Time.Advance(NearCacheResync);
        await UntilAsync(() => Task.FromResult(!L1(_b, NearCached).TryGet(key, out _)), PropagationBound);
    }

    [Fact]
    public async Task A_gap_in_the_received_sequence_clears_the_near_cache()
    {
        await BothInSync();
        var (held, written) = (UniqueKey(), UniqueKey());
        await _a.Client.PutJsonAsync(NearCached, held, "1");
        await WarmAsync(_b, NearCached, held);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_redis))
        {
            await redis.GetDatabase().StringIncrementAsync(SequenceKey(NearCached)); // a lost message
        }

        await _a.Client.PutJsonAsync(NearCached, written, "2"); // the next message shows the gap

        await UntilAsync(() => Task.FromResult(!L1(_b, NearCached).TryGet(held, out _)), PropagationBound);
    }

    private string SequenceKey(string ns) => $"{_a.KeyPrefix}:{{{ns}:l1}}:seq";

    internal static NamespaceNearCache L1(SidecarHost host, string ns)
    {
        var registry = host.Services.GetRequiredService<NamespaceRegistry>();
        Assert.True(registry.TryGet(ns, out var policy));
        return host.Services.GetRequiredService<NearCacheBus>().For(policy) ?? throw new InvalidOperationException($"{ns} has no near-cache");
    }

    private async Task BothInSync()
    {
        await UntilAsync(() => Task.FromResult(L1(_a, NearCached).InSync && L1(_b, NearCached).InSync && L1(_b, NearCachedWb).InSync));
    }

    /// <summary>Reads until the key is held in the host's L1 (the first read fills Redis, the next L1).</summary>
    internal static async Task WarmAsync(SidecarHost host, string ns, string key)
    {
        await UntilAsync(async () =>
        {
            await host.Client.GetAsync(ns, key);
            return L1(host, ns).TryGet(key, out _);
        });
    }

    /// <summary>Polls until the condition holds; fails after <paramref name="limit"/> (default 10 s).</summary>
    internal static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        var bound = limit ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < bound, $"condition not met within {bound.TotalSeconds:0.#} s");
            await Task.Delay(5);
        }
    }
}

public sealed class NearCacheOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : NearCacheTests(redis.Configuration, mongo);

public sealed class NearCacheOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : NearCacheTests(redis.Configuration, mongo);

/// <summary>Connection loss and the embedded tier: each test with its own servers.</summary>
public sealed class NearCacheConnectionTests(MongoFixture mongo)
{
    [Fact]
    public async Task A_lost_subscription_clears_and_bypasses_the_near_cache_until_it_is_back()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var a = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString);
        await using var b = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString, settings => settings["Sidecar:Redis:KeyPrefix"] = a.KeyPrefix);
        await NearCacheTests.UntilAsync(() => Task.FromResult(NearCacheTests.L1(b, NearCached).InSync));
        var key = UniqueKey();
        await a.Client.PutJsonAsync(NearCached, key, "\"old\"");
        await NearCacheTests.WarmAsync(b, NearCached, key);

        await using (var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.EndPoint},allowAdmin=true"))
        {
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        }

        // Whatever happened to messages meanwhile, B must not serve the old value once A's Put returned.
        await a.Client.PutJsonAsync(NearCached, key, "\"new\"");
        await NearCacheTests.UntilAsync(async () => (await b.Client.GetAsync(NearCached, key)).Text() == "\"new\"", NearCacheTests.PropagationBound);

        // And once the subscription is back, B serves from L1 again. The check that restores it runs when the
        // connection is restored and then every ResyncInterval on the host's fake clock: a restored-connection
        // check that ran before the reconnect was reconciled fails, so the clock is moved on to the next one.
        await NearCacheTests.UntilAsync(() =>
        {
            b.Time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(NearCacheTests.L1(b, NearCached).InSync);
        });
        await NearCacheTests.WarmAsync(b, NearCached, key);
        Assert.True(NearCacheTests.L1(b, NearCached).TryGet(key, out var held));
        Assert.Equal("\"new\"", System.Text.Encoding.UTF8.GetString(held.Value.Span));
    }

    [Fact]
    public async Task On_the_embedded_tier_the_near_cache_is_off_and_reads_still_work()
    {
        await using var host = SidecarHost.Start(redis: null, mongo.ConnectionString);
        var registry = host.Services.GetRequiredService<NamespaceRegistry>();
        Assert.True(registry.TryGet(NearCached, out var policy));
        Assert.True(policy.NearCache.Enabled);
        var key = UniqueKey();
        await host.Client.PutJsonAsync(NearCached, key, "1");

        // The embedded registrations have no near-cache at all (the tier is already local memory).
        Assert.Null(host.Services.GetService<NearCacheBus>());
        Assert.Equal("1", (await host.Client.GetAsync(NearCached, key)).Text());
    }
}
