using StackExchange.Redis;
using static CacheSidecar.Testing.Redis.Tests.TestSupport;

namespace CacheSidecar.Testing.Redis.Tests;

public sealed class RedisTestEndpointTests
{
    private static readonly Func<CancellationToken, Task<bool>> NoDocker = _ => Task.FromResult(false);

    [Fact(Timeout = 60_000)]
    public async Task REDIS_URL_is_used_as_is_without_starting_anything()
    {
        var dockerAsked = false;
        await using var target = await RedisTestEndpoint.AcquireSingleAsync(
            null,
            Env(("REDIS_URL", "redis://127.0.0.1:6399")),
            _ => { dockerAsked = true; return Task.FromResult(false); },
            Ct);

        Assert.Equal(RedisTargetKind.External, target.Kind);
        Assert.Equal("127.0.0.1:6399", target.Configuration);
        Assert.Null(target.Server);
        Assert.False(dockerAsked);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_REDIS_URL_target_is_reachable_through_StackExchange_Redis()
    {
        await using var real = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        await using var target = await RedisTestEndpoint.AcquireSingleAsync(
            null, Env(("REDIS_URL", $"redis://{real.EndPoint}/2")), NoDocker, Ct);

        await using var redis = await ConnectAsync(target.Configuration);
        await redis.GetDatabase().StringSetAsync("via-url", "1");
        Assert.Equal("1", (string?)await redis.GetDatabase(2).StringGetAsync("via-url")); // /2 became defaultDatabase=2
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_REDIS_URL_or_Docker_a_local_redis_server_is_started()
    {
        await using var target = await RedisTestEndpoint.AcquireSingleAsync(null, Env(), NoDocker, Ct);

        Assert.Equal(RedisTargetKind.RedisServer, target.Kind);
        Assert.NotNull(target.Server);
        Assert.Equal(target.Server.EndPoint, target.Configuration);
        await using var redis = await ConnectAsync(target.Configuration);
        await redis.GetDatabase().PingAsync();
    }

    [Fact(Timeout = 180_000)]
    public async Task When_Docker_seems_available_but_the_container_cannot_start_it_falls_back_to_redis_server()
    {
        // There is no Docker engine here, so Testcontainers fails for real and the chooser must fall through.
        await using var target = await RedisTestEndpoint.AcquireSingleAsync(null, Env(), _ => Task.FromResult(true), Ct);

        Assert.Equal(RedisTargetKind.RedisServer, target.Kind);
        Assert.NotNull(target.Server);
    }

    [Fact(Timeout = 60_000)]
    public async Task Options_that_need_process_control_ignore_REDIS_URL_and_Docker()
    {
        var environment = Env(("REDIS_URL", "127.0.0.1:6399"));
        Func<CancellationToken, Task<bool>> docker = _ => Task.FromResult(true);

        await using var aof = await RedisTestEndpoint.AcquireSingleAsync(
            new RedisServerOptions { Persistence = RedisPersistence.AofAlways }, environment, docker, Ct);
        await using var killable = await RedisTestEndpoint.AcquireSingleAsync(
            new RedisServerOptions { RequireProcessControl = true }, environment, docker, Ct);

        Assert.Equal(RedisTargetKind.RedisServer, aof.Kind);
        Assert.Equal(RedisPersistence.AofAlways, aof.Server!.Options.Persistence);
        Assert.Equal(RedisTargetKind.RedisServer, killable.Kind);
        Assert.NotNull(killable.Server);
    }

    [Fact(Timeout = 60_000)]
    public async Task Disposing_a_redis_server_target_ends_its_process()
    {
        var target = await RedisTestEndpoint.AcquireSingleAsync(null, Env(), NoDocker, Ct);
        var pid = target.Server!.Pid;

        await target.DisposeAsync();

        Assert.False(IsRedisServerAlive(pid));
    }

    [Fact(Timeout = 60_000)]
    public async Task REDIS_CLUSTER_URL_is_honoured()
    {
        await using var target = await RedisTestEndpoint.AcquireClusterAsync(
            3, Env(("REDIS_CLUSTER_URL", "redis://127.0.0.1:7000,redis://127.0.0.1:7001")), Ct);

        Assert.Equal(RedisTargetKind.External, target.Kind);
        Assert.True(target.IsCluster);
        Assert.Null(target.Cluster);
        Assert.Equal("127.0.0.1:7000,127.0.0.1:7001", target.Configuration);
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_REDIS_CLUSTER_URL_a_local_cluster_is_started()
    {
        await using var target = await RedisTestEndpoint.AcquireClusterAsync(3, Env(), Ct);

        Assert.Equal(RedisTargetKind.RedisCluster, target.Kind);
        Assert.True(target.IsCluster);
        Assert.NotNull(target.Cluster);
        await using var redis = await ConnectAsync(target.Configuration);
        Assert.Equal(3, redis.GetEndPoints().Length);
        Assert.True(await redis.GetDatabase().StringSetAsync("{x}:k", "v"));
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
