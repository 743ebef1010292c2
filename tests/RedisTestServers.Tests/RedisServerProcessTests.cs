using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using static CacheSidecar.Testing.Redis.Tests.TestSupport;

namespace CacheSidecar.Testing.Redis.Tests;

public sealed class RedisServerProcessTests
{
    private const int KeyCount = 1_000;

    [Fact(Timeout = 60_000)]
    public async Task Starts_on_a_free_port_serves_SET_GET_and_dispose_ends_the_process_and_deletes_its_temp_dir()
    {
        var server = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        var pid = server.Pid;
        var workingDirectory = server.WorkingDirectory;
        try
        {
            Assert.InRange(server.Port, 1024, 65535);
            Assert.Equal($"127.0.0.1:{server.Port}", server.EndPoint);
            Assert.True(server.IsRunning);
            Assert.True(IsRedisServerAlive(pid));
            Assert.True(Directory.Exists(workingDirectory));
            Assert.StartsWith(workingDirectory, server.DataDirectory, StringComparison.Ordinal);

            await using var redis = await ConnectAsync(server.EndPoint);
            var db = redis.GetDatabase();
            Assert.True(await db.StringSetAsync("greeting", "hello"));
            Assert.Equal("hello", (string?)await db.StringGetAsync("greeting"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(IsRedisServerAlive(pid));
        Assert.False(Directory.Exists(workingDirectory));
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_servers_started_concurrently_get_different_ports()
    {
        var servers = await Task.WhenAll(
            RedisServerProcess.StartAsync(cancellationToken: Ct),
            RedisServerProcess.StartAsync(cancellationToken: Ct));
        try
        {
            Assert.NotEqual(servers[0].Port, servers[1].Port);
            Assert.NotEqual(servers[0].Pid, servers[1].Pid);
            foreach (var server in servers)
            {
                await using var redis = await ConnectAsync(server.EndPoint);
                await redis.GetDatabase().PingAsync();
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Generated_config_matches_the_options()
    {
        await using var server = await RedisServerProcess.StartAsync(
            new RedisServerOptions { Persistence = RedisPersistence.AofEverySec, ExtraConfigLines = ["maxmemory 64mb"] }, Ct);
        await using var redis = await ConnectAsync(server.EndPoint, allowAdmin: true);
        var config = (await redis.GetServer(server.EndPoint).ConfigGetAsync("*"))
            .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

        Assert.Equal("127.0.0.1", config["bind"]);
        Assert.Equal($"{server.Port}", config["port"]);
        Assert.Equal("yes", config["protected-mode"]);
        Assert.Equal("", config["save"]);
        Assert.Equal("yes", config["appendonly"]);
        Assert.Equal("everysec", config["appendfsync"]);
        Assert.Equal(server.DataDirectory, config["dir"]);
        Assert.Equal(server.LogFilePath, config["logfile"]);
        Assert.Equal("no", config["cluster-enabled"]);
        Assert.Equal($"{64 * 1024 * 1024}", config["maxmemory"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task AofAlways_keeps_every_acknowledged_write_across_SIGKILL_and_restart()
    {
        await using var server = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofAlways }, Ct);
        await WriteKeysAsync(server);
        var (port, pidBefore) = (server.Port, server.Pid);

        server.Kill();
        Assert.False(server.IsRunning);
        Assert.False(IsRedisServerAlive(pidBefore));

        await server.RestartAsync(Ct);
        Assert.Equal(port, server.Port);
        Assert.NotEqual(pidBefore, server.Pid);

        await using var redis = await ConnectAsync(server.EndPoint);
        var values = await redis.GetDatabase().StringGetAsync(Keys());
        Assert.Equal(KeyCount, values.Length);
        for (var i = 0; i < KeyCount; i++)
        {
            Assert.Equal($"value:{i}", (string?)values[i]);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_persistence_SIGKILL_and_restart_loses_the_data()
    {
        await using var server = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.None }, Ct);
        await WriteKeysAsync(server);

        server.Kill();
        await server.RestartAsync(Ct);

        await using var redis = await ConnectAsync(server.EndPoint, allowAdmin: true);
        Assert.Equal(0, await redis.GetServer(server.EndPoint).DatabaseSizeAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task StopAsync_then_RestartAsync_on_the_same_port_lets_a_connected_client_reconnect()
    {
        // everysec loses up to a second on SIGKILL, but a graceful SHUTDOWN flushes and fsyncs the AOF.
        await using var server = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofEverySec }, Ct);
        var options = ConfigurationOptions.Parse(server.EndPoint);
        options.AbortOnConnectFail = false;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var db = redis.GetDatabase();
        await db.StringSetAsync("before-stop", "kept");
        var (port, pidBefore) = (server.Port, server.Pid);

        await server.StopAsync(Ct);
        Assert.False(server.IsRunning);
        Assert.False(IsRedisServerAlive(pidBefore));

        await server.RestartAsync(Ct);
        Assert.Equal(port, server.Port);
        Assert.True(server.IsRunning);

        // Same multiplexer: it notices the dropped connection and reconnects by itself.
        var kept = await EventuallyAsync(async () => (string?)await db.StringGetAsync("before-stop"), TimeSpan.FromSeconds(30));
        Assert.Equal("kept", kept);
        Assert.True(await db.StringSetAsync("after-restart", "ok"));
    }

    [Fact(Timeout = 60_000)]
    public async Task RestartAsync_on_a_running_server_stops_it_gracefully_first()
    {
        await using var server = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofEverySec }, Ct);
        await using (var redis = await ConnectAsync(server.EndPoint))
        {
            await redis.GetDatabase().StringSetAsync("k", "v");
        }

        var pidBefore = server.Pid;
        await server.RestartAsync(Ct);

        Assert.NotEqual(pidBefore, server.Pid);
        Assert.False(IsRedisServerAlive(pidBefore));
        await using var again = await ConnectAsync(server.EndPoint);
        Assert.Equal("v", (string?)await again.GetDatabase().StringGetAsync("k"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_caller_supplied_data_directory_is_used_and_kept_after_dispose()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("redis-test-data-").FullName;
        try
        {
            await using (var server = await RedisServerProcess.StartAsync(
                new RedisServerOptions { Persistence = RedisPersistence.AofAlways, DataDirectory = dataDirectory }, Ct))
            {
                Assert.Equal(dataDirectory, server.DataDirectory);
                await using var redis = await ConnectAsync(server.EndPoint);
                await redis.GetDatabase().StringSetAsync("k", "v");
            }

            Assert.NotEmpty(Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)); // the AOF
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_explicit_port_that_is_taken_fails_with_the_redis_log_in_the_message()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RedisServerProcess.StartAsync(new RedisServerOptions { Port = port }, Ct));

        Assert.Contains("Address already in use", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_bad_config_line_fails_fast_with_redis_own_error_message()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RedisServerProcess.StartAsync(new RedisServerOptions { ExtraConfigLines = ["no-such-directive yes"] }, Ct));

        Assert.Contains("Bad directive", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_missing_server_binary_is_reported_as_such()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RedisServerProcess.StartAsync(new RedisServerOptions { ServerExecutable = "redis-server-that-does-not-exist" }, Ct));

        Assert.Contains("was not found", error.Message, StringComparison.Ordinal);
    }

    private static RedisKey[] Keys() => [.. Enumerable.Range(0, KeyCount).Select(i => (RedisKey)$"key:{i}")];

    private static async Task WriteKeysAsync(RedisServerProcess server)
    {
        await using var redis = await ConnectAsync(server.EndPoint, allowAdmin: true);
        var db = redis.GetDatabase();
        var acknowledged = await Task.WhenAll(Keys().Select((key, i) => db.StringSetAsync(key, $"value:{i}")));
        Assert.All(acknowledged, Assert.True);
        Assert.Equal(KeyCount, await redis.GetServer(server.EndPoint).DatabaseSizeAsync());
    }
}
