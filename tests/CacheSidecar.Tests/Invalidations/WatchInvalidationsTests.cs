using CacheSidecar.Contracts.V1;
using CacheSidecar.NearCache;
using CacheSidecar.Tests.NearCache;
using CacheSidecar.Tests.Infrastructure;
using CacheSidecar.Testing.Redis;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;
using Kind = CacheSidecar.Contracts.V1.InvalidationEvent.Types.Kind;

namespace CacheSidecar.Tests.Invalidations;

/// <summary>
/// WatchInvalidations across two in-process sidecars on one Redis key space: a watcher on A hears every
/// write made through B, in sequence, and only namespaces that publish can be watched.
/// </summary>
public abstract class WatchInvalidationsTests : IAsyncDisposable
{
    private readonly string _redis;
    private readonly SidecarHost _a;
    private readonly SidecarHost _b;

    protected WatchInvalidationsTests(string redis, MongoFixture mongo)
    {
        _redis = redis;
        _a = SidecarHost.Start(redis, mongo.ConnectionString);
        _b = SidecarHost.Start(redis, mongo.ConnectionString, s => s["Sidecar:Redis:KeyPrefix"] = _a.KeyPrefix);
    }

    public async ValueTask DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task A_watcher_on_one_sidecar_hears_each_write_through_another_in_sequence()
    {
        using var events = InvalidationEvents.Watch(_a.Client, Watched);
        var synced = await events.SyncedAsync();
        var (first, second) = (UniqueKey(), UniqueKey());

        await _b.Client.PutJsonAsync(Watched, first, "1");
        var put = await events.NextChangeAsync();
        await _b.Client.DeleteAsync(Watched, first);
        var deleted = await events.NextChangeAsync();
        await _b.Client.InvalidateAsync(new InvalidateRequest { Namespace = Watched, Keys = { second } });
        var invalidated = await events.NextChangeAsync();

        Assert.Equal((Kind.Synced, Watched), (synced.Kind, synced.Namespace));
        Assert.Equal((Kind.Keys, synced.Sequence + 1, first), (put.Kind, put.Sequence, put.Keys.Single()));
        Assert.Equal((Kind.Keys, put.Sequence + 1, first), (deleted.Kind, deleted.Sequence, deleted.Keys.Single()));
        Assert.Equal((Kind.Keys, second), (invalidated.Kind, invalidated.Keys.Single()));
    }

    [Fact]
    public async Task Namespace_and_tag_invalidations_arrive_as_namespace_and_tags_events()
    {
        using var events = InvalidationEvents.Watch(_a.Client, WatchedPure);
        await events.SyncedAsync();

        await _b.Client.InvalidateAsync(new InvalidateRequest { Namespace = WatchedPure, WholeNamespace = true });
        var wholeNamespace = await events.NextChangeAsync();
        await _b.Client.InvalidateTagsAsync(new InvalidateTagsRequest { Namespace = WatchedPure, Tags = { "team:7", "x" } });
        var tags = await events.NextChangeAsync();

        Assert.Equal(Kind.Namespace, wholeNamespace.Kind);
        Assert.Equal(Kind.Tags, tags.Kind);
        Assert.Equal(["team:7", "x"], tags.Tags);
    }

    [Fact]
    public async Task One_stream_follows_several_namespaces_each_with_its_own_sequence()
    {
        using var events = InvalidationEvents.Watch(_a.Client, Watched, NearCached);
        var opening = new[] { await events.SyncedAsync(), await events.SyncedAsync() };
        var key = UniqueKey();

        await _b.Client.PutJsonAsync(NearCached, key, "1");
        var change = await events.NextChangeAsync();

        Assert.Equal([NearCached, Watched], opening.Select(e => e.Namespace).Order(StringComparer.Ordinal));
        Assert.Equal((NearCached, key), (change.Namespace, change.Keys.Single()));
        Assert.Equal(opening.Single(e => e.Namespace == NearCached).Sequence + 1, change.Sequence);
    }

    [Fact]
    public async Task The_sidecar_subscribes_to_a_namespace_only_while_something_follows_it()
    {
        var channel = $"{_a.KeyPrefix}:{{{Watched}:l1}}:ch";
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis);
        Assert.Equal(0, await ShardSubscribers(redis, channel));

        using (var events = InvalidationEvents.Watch(_a.Client, Watched))
        {
            await events.SyncedAsync(); // the subscription is in place
            Assert.Equal(1, await ShardSubscribers(redis, channel));
        }

        await NearCacheTests.UntilAsync(async () => await ShardSubscribers(redis, channel) == 0);
        Assert.False(Bus(_a).IsSubscribed(Watched));
    }

    [Fact]
    public async Task A_lost_subscription_tells_the_watcher_reset_and_synced_once_it_is_back()
    {
        using var events = InvalidationEvents.Watch(_a.Client, Watched);
        await events.SyncedAsync();

        await using (var admin = await ConnectionMultiplexer.ConnectAsync($"{_redis},allowAdmin=true"))
        {
            foreach (var endpoint in admin.GetEndPoints())
            {
                await admin.GetServer(endpoint).ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            }
        }

        var reset = await events.NextChangeAsync();
        // The check that resyncs runs when the connection is restored and every ResyncInterval of A's clock.
        using var clock = new CancellationTokenSource();
        var ticking = Task.Run(async () =>
        {
            while (!clock.IsCancellationRequested)
            {
                _a.Time.Advance(TimeSpan.FromMilliseconds(200));
                await Task.Delay(20);
            }
        });
        var synced = await events.UntilAsync(e => e.Kind != Kind.Heartbeat);
        await clock.CancelAsync();
        await ticking;

        Assert.Equal(Kind.Reset, reset.Kind);
        Assert.Equal(Kind.Synced, synced.Kind);
    }

    [Fact]
    public async Task A_heartbeat_arrives_when_nothing_else_happened_for_an_interval()
    {
        using var events = InvalidationEvents.Watch(_a.Client, TimeSpan.FromSeconds(1), Watched);
        await events.SyncedAsync();

        var next = events.NextAsync();
        _a.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Kind.Heartbeat, (await next).Kind);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.NotFound, "no-such-namespace")]
    [InlineData(StatusCode.FailedPrecondition, WriteThrough)]
    [InlineData(StatusCode.InvalidArgument, Watched, Watched)]
    public async Task A_request_it_cannot_serve_fails_with_a_clear_status(StatusCode expected, params string[] namespaces)
    {
        using var events = InvalidationEvents.Watch(_a.Client, namespaces);

        var error = await Assert.ThrowsAsync<RpcException>(events.NextAsync);

        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
    }

    [Fact]
    public async Task A_heartbeat_interval_out_of_range_is_invalid_argument()
    {
        using var events = InvalidationEvents.Watch(_a.Client, TimeSpan.FromMilliseconds(10), Watched);

        var error = await Assert.ThrowsAsync<RpcException>(events.NextAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("heartbeat_interval", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_namespaces_says_which_namespaces_publish()
    {
        var policies = (await _a.Client.ListNamespacesAsync(new ListNamespacesRequest())).Namespaces;

        Assert.True(policies.Single(p => p.Name == Watched).PublishesInvalidations);
        Assert.True(policies.Single(p => p.Name == NearCached).PublishesInvalidations);
        Assert.False(policies.Single(p => p.Name == WriteThrough).PublishesInvalidations);
    }

    private static NearCacheBus Bus(SidecarHost host) => host.Services.GetRequiredService<NearCacheBus>();

    private static async Task<long> ShardSubscribers(ConnectionMultiplexer redis, string channel)
    {
        long total = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsReplica)
            {
                continue;
            }

            var reply = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "SHARDNUMSUB", channel))!;
            total += (long)reply[1];
        }

        return total;
    }
}

public sealed class WatchInvalidationsOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo)
    : WatchInvalidationsTests(redis.Configuration, mongo);

public sealed class WatchInvalidationsOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo)
    : WatchInvalidationsTests(redis.Configuration, mongo);
