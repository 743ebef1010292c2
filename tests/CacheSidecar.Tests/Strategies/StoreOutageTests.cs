using System.Diagnostics;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// DESIGN §6, store down (and a frozen Redis): cached values are still served; a namespace with
/// OnStoreDown ServeStale serves an expired value marked stale within its StaleWindow; misses and
/// synchronous writes fail UNAVAILABLE within the store's server-selection timeout (2 s in tests,
/// 5 s by default); a caller's deadline ends a call waiting on Redis.
/// </summary>
public sealed class StoreOutageTests(RedisSingleFixture redis)
{
    /// <summary>Server-selection timeout the test hosts use, plus scheduling slack.</summary>
    private static readonly TimeSpan FailFastBound = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task With_the_store_down_cached_values_are_still_served_and_misses_and_writes_fail_unavailable_quickly()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var host = SidecarHost.Start(redis.Configuration, store.ConnectionString);
        var cached = UniqueKey();
        await host.Client.PutJsonAsync(WriteThrough, cached, "\"kept\"");

        await store.WireServer!.StopAsync();

        var hit = await host.Client.GetAsync(WriteThrough, cached);
        Assert.Equal("\"kept\"", hit.Text());
        Assert.Equal(ValueSource.Cache, hit.Source);
        Assert.False(hit.Stale);

        foreach (var call in new Func<Task>[]
        {
            () => host.Client.GetAsync(WriteThrough, UniqueKey()),            // a miss needs the store
            () => host.Client.PutJsonAsync(WriteThrough, UniqueKey(), "1"),   // a synchronous write needs it
            () => host.Client.PutJsonAsync(CacheAside, UniqueKey(), "1"),
            () => host.Client.DeleteAsync(CacheAside, cached),
        })
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(StatusCode.Unavailable, await SidecarHost.StatusOf(call));
            Assert.True(clock.Elapsed < FailFastBound, $"took {clock.Elapsed}");
        }

        var stillCached = await host.Client.GetAsync(WriteThrough, cached);
        Assert.Equal("\"kept\"", stillCached.Text()); // a failed write changed nothing
    }

    [Fact]
    public async Task A_serve_stale_namespace_serves_an_expired_value_marked_stale_within_its_window_and_fails_after_it()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var host = SidecarHost.Start(redis.Configuration, store.ConnectionString);
        var key = UniqueKey();
        var put = await host.Client.PutJsonAsync(ServeStale, key, "\"last known\"");
        await host.Client.GetAsync(ServeStale, key); // fill the cache (cache-aside)
        await store.WireServer!.StopAsync();

        host.Time.Advance(TimeSpan.FromMinutes(2)); // TTL is 1 min: expired, and within the 5 min stale window
        var stale = await host.Client.GetAsync(ServeStale, key);

        Assert.True(stale.Found);
        Assert.True(stale.Stale);
        Assert.Equal("\"last known\"", stale.Text());
        Assert.Equal(put.Etag, stale.Etag);

        host.Time.Advance(TimeSpan.FromMinutes(5)); // now past TTL + StaleWindow
        Assert.Equal(StatusCode.Unavailable, await SidecarHost.StatusOf(() => host.Client.GetAsync(ServeStale, key)));
    }

    [Fact]
    public async Task A_namespace_without_serve_stale_fails_unavailable_for_an_expired_value_when_the_store_is_down()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var host = SidecarHost.Start(redis.Configuration, store.ConnectionString);
        var key = UniqueKey();
        await host.Client.PutJsonAsync(WriteThrough, key, "1");
        await store.WireServer!.StopAsync();

        host.Time.Advance(TestNamespaces.DefaultTtl + TimeSpan.FromSeconds(1));

        Assert.Equal(StatusCode.Unavailable, await SidecarHost.StatusOf(() => host.Client.GetAsync(WriteThrough, key)));
    }

    [Fact]
    public async Task With_redis_unreachable_calls_fail_over_to_the_store_at_once_instead_of_each_waiting_to_connect()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var host = SidecarHost.Start("127.0.0.1:1", store.ConnectionString); // nothing listens on port 1
        var key = UniqueKey();
        await host.Client.PutJsonAsync(CacheAside, key, "1");

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("1", (await host.Client.GetAsync(CacheAside, key)).Text());
        }

        // 50 reads against a Redis that is down: no call waits for a connect attempt (2 s each).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"50 reads took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_callers_deadline_ends_a_call_waiting_on_a_frozen_redis()
    {
        await using var frozen = await RedisServerProcess.StartAsync(new RedisServerOptions { RequireProcessControl = true });
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var host = SidecarHost.Start(frozen.EndPoint, store.ConnectionString, kestrel: true);
        await host.Client.GetAsync(CacheAside, UniqueKey()); // connections up

        Signal(frozen.Pid, "STOP");
        try
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetAsync(
                new GetRequest { Namespace = CacheAside, Key = UniqueKey() },
                deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);

            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}: the Redis wait did not end with the deadline");
        }
        finally
        {
            Signal(frozen.Pid, "CONT");
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }
}
