using System.Net;
using System.Net.Sockets;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Api;

/// <summary>DESIGN §2 statuses that need a failing dependency, auth, or a deadline.</summary>
public sealed class FailureStatusTests(RedisSingleFixture redis, MongoFixture mongo)
{
    [Fact]
    public async Task When_cache_and_store_are_both_unreachable_calls_fail_unavailable_quickly()
    {
        await using var store = new MongoWireServer();
        await store.StartAsync();
        var deadRedis = $"127.0.0.1:{Ports.Unused()}";
        await using var host = SidecarHost.Start(deadRedis, store.ConnectionString);
        await store.StopAsync();

        var started = System.Diagnostics.Stopwatch.StartNew();
        var get = await SidecarHost.StatusOf(() => host.Client.GetAsync(CacheAside, UniqueKey()));
        var put = await SidecarHost.StatusOf(() => host.Client.PutJsonAsync(CacheAside, UniqueKey(), "1"));
        var pure = await SidecarHost.StatusOf(() => host.Client.GetAsync(PureCache, UniqueKey()));
        var invalidate = await SidecarHost.StatusOf(() => host.Client.InvalidateAsync(new InvalidateRequest { Namespace = CacheAside, WholeNamespace = true }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, get);
        Assert.Equal(StatusCode.Unavailable, put);
        Assert.Equal(StatusCode.Unavailable, pure);
        Assert.Equal(StatusCode.Unavailable, invalidate);
        // Bounded by the store's server-selection timeout (2 s in tests), per call.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task When_redis_is_unreachable_gets_and_puts_are_served_by_the_store()
    {
        await using var host = SidecarHost.Start($"127.0.0.1:{Ports.Unused()}", mongo.ConnectionString);
        var key = UniqueKey();

        var put = await host.Client.PutJsonAsync(CacheAside, key, "1");
        var read = await host.Client.GetAsync(CacheAside, key);

        Assert.True(put.Persisted);
        Assert.Equal("1", read.Text());
        Assert.Equal(ValueSource.Store, read.Source);
    }

    [Fact]
    public async Task The_callers_deadline_is_honoured_and_cancellation_reaches_the_store_call()
    {
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, kestrel: true);
        await host.Client.GetAsync(CacheAside, UniqueKey()); // warm connections, so the deadline lands in the store call
        host.Store.LoadDelay = TimeSpan.FromSeconds(30);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetAsync(
            new GetRequest { Namespace = CacheAside, Key = UniqueKey() },
            deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);

        Assert.True(error.StatusCode == StatusCode.DeadlineExceeded, error.Status.ToString());
        await WaitUntil(() => host.Store.CancelledLoads == 1, TimeSpan.FromSeconds(5)); // not left running for 30 s
    }

    [Fact]
    public async Task With_a_token_configured_calls_without_or_with_a_wrong_token_are_unauthenticated()
    {
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, s => s["Sidecar:Auth:Token"] = "s3cret-token");
        var key = UniqueKey();

        var missing = await SidecarHost.StatusOf(() => host.Client.GetAsync(CacheAside, key));
        var wrong = await SidecarHost.StatusOf(() => host.Client.GetAsync(new GetRequest { Namespace = CacheAside, Key = key }, Bearer("nope")).ResponseAsync);
        var wrongPut = await SidecarHost.StatusOf(() => host.Client.PutAsync(new PutRequest { Namespace = CacheAside, Key = key }, Bearer("nope")).ResponseAsync);
        var right = await host.Client.GetAsync(new GetRequest { Namespace = CacheAside, Key = key }, Bearer("s3cret-token"));
        var health = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(StatusCode.Unauthenticated, missing);
        Assert.Equal(StatusCode.Unauthenticated, wrong);
        Assert.Equal(StatusCode.Unauthenticated, wrongPut);
        Assert.False(right.Found);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Null(await StoreProbe.LoadAsync(host, CacheAside, key)); // the refused Put wrote nothing
    }

    [Fact]
    public async Task A_token_can_come_from_a_file_as_a_mounted_secret_provides_it()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "from-file\n");
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, s => s["Sidecar:Auth:TokenFile"] = file);

        Assert.Equal(StatusCode.Unauthenticated, await SidecarHost.StatusOf(() => host.Client.GetAsync(CacheAside, UniqueKey())));
        Assert.False((await host.Client.GetAsync(new GetRequest { Namespace = CacheAside, Key = UniqueKey() }, Bearer("from-file"))).Found);
        File.Delete(file);
    }

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };


    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
