using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;
using static CacheSidecar.Testing.Redis.Tests.TestSupport;

namespace CacheSidecar.Testing.Redis.Tests;

/// <summary>
/// <see cref="TcpFaultProxy"/> in front of a real redis-server: it forwards faithfully, a cut shows up
/// as a prompt connection error (not a timeout), and after a restore StackExchange.Redis reconnects on
/// its own and finds its data.
/// </summary>
public sealed class TcpFaultProxyTests
{
    // Far beyond the bounds asserted below: a command that hung instead of failing would show as a timeout.
    private const int CommandTimeoutMs = 30_000;

    // How long a failure may take to surface on a busy machine; a hang would take CommandTimeoutMs.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 60_000)]
    public async Task Forwards_commands_and_binary_values_byte_for_byte()
    {
        await using var server = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        await using var redis = await ConnectAsync(proxy.EndPoint);
        var db = redis.GetDatabase();

        // Every byte value, and more than one proxy buffer, so partial sends and reads are exercised.
        var value = Enumerable.Range(0, 3 * 1024 * 1024).Select(i => (byte)(i * 31)).ToArray();
        Assert.True(await db.StringSetAsync("blob", value));
        Assert.Equal(value, (byte[]?)await db.StringGetAsync("blob"));
        Assert.Equal(3, await db.ListRightPushAsync("list", ["a", "b", "c"]));
        Assert.Equal(["a", "b", "c"], (await db.ListRangeAsync("list")).Select(v => (string?)v));

        Assert.Equal($"127.0.0.1:{proxy.Port}", proxy.EndPoint);
        Assert.Equal(server.EndPoint, proxy.Target);
        Assert.False(proxy.IsCut);
        Assert.InRange(proxy.OpenConnections, 1, 10);
    }

    [Fact(Timeout = 120_000)]
    public async Task Cut_fails_commands_promptly_and_after_restore_the_multiplexer_reconnects_to_its_data()
    {
        await using var server = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        var options = ConfigurationOptions.Parse(proxy.EndPoint);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast; // as the sidecar: fail while disconnected, don't queue
        options.AsyncTimeout = CommandTimeoutMs;
        options.SyncTimeout = CommandTimeoutMs;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var db = redis.GetDatabase();
        Assert.True(await db.StringSetAsync("written-before-the-cut", "kept"));
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        redis.ConnectionFailed += (_, _) => lost.TrySetResult();

        var sinceCut = Stopwatch.StartNew();
        proxy.Cut();

        Assert.True(proxy.IsCut);
        Assert.Equal(0, proxy.OpenConnections);
        await Assert.ThrowsAsync<RedisConnectionException>(() => db.StringGetAsync("written-before-the-cut"));
        Assert.True(sinceCut.Elapsed < Prompt, $"the first command failed only after {sinceCut.Elapsed}");
        await lost.Task.WaitAsync(Prompt, Ct);
        Assert.False(redis.IsConnected);

        // Still cut: the multiplexer's reconnects are reset on accept, so commands keep failing fast.
        sinceCut.Restart();
        await Assert.ThrowsAsync<RedisConnectionException>(() => db.StringSetAsync("written-during-the-cut", "x"));
        Assert.True(sinceCut.Elapsed < Prompt, $"a command during the cut failed only after {sinceCut.Elapsed}");

        proxy.Restore();

        Assert.False(proxy.IsCut);
        Assert.Equal("kept", (string?)await EventuallyAsync(
            () => db.StringGetAsync("written-before-the-cut"), TimeSpan.FromSeconds(30)));
        Assert.True(await db.StringSetAsync("written-after-the-restore", "y"));
        Assert.False(await db.KeyExistsAsync("written-during-the-cut"));
        Assert.InRange(proxy.OpenConnections, 1, 10);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cut_resets_an_open_connection_with_rst_and_resets_new_ones_until_restore()
    {
        await using var server = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var open = await ConnectRawAsync(proxy.Port);
        Assert.Equal("+PONG", await PingAsync(open));

        proxy.Cut();

        // RST, not FIN: the peer gets "connection reset", as after a network fault.
        var reset = await Assert.ThrowsAsync<IOException>(() => ReadLineAsync(open));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(reset.InnerException).SocketErrorCode);

        // A reconnect during the cut is accepted and reset at once: it fails fast instead of hanging. The
        // reset may reach the client while its connect completes, or on its first read.
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var client = await ConnectRawAsync(proxy.Port);
            await PingAsync(client);
        });
        Assert.True(
            (refused as SocketException ?? refused.InnerException as SocketException)?.SocketErrorCode
                == SocketError.ConnectionReset,
            $"expected a connection reset, got {refused}");
        Assert.Equal(0, proxy.OpenConnections);

        proxy.Restore();

        using var again = await ConnectRawAsync(proxy.Port);
        Assert.Equal("+PONG", await PingAsync(again));
        Assert.Equal(1, proxy.OpenConnections);
    }

    [Fact(Timeout = 60_000)]
    public async Task Dispose_resets_open_connections_and_stops_listening()
    {
        await using var server = await RedisServerProcess.StartAsync(cancellationToken: Ct);
        var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var open = await ConnectRawAsync(proxy.Port);
        Assert.Equal("+PONG", await PingAsync(open));

        await proxy.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(() => ReadLineAsync(open));
        using var late = new TcpClient(AddressFamily.InterNetwork);
        var refused = await Assert.ThrowsAsync<SocketException>(
            async () => await late.ConnectAsync(IPAddress.Loopback, proxy.Port, Ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(proxy.Cut);
    }

    [Fact]
    public void Start_refuses_a_target_without_a_port()
    {
        Assert.Throws<ArgumentException>(() => TcpFaultProxy.Start("127.0.0.1"));
        Assert.Throws<ArgumentException>(() => TcpFaultProxy.Start("127.0.0.1:0"));
        Assert.Throws<ArgumentException>(() => TcpFaultProxy.Start("127.0.0.1:http"));
    }

    private static async Task<TcpClient> ConnectRawAsync(int port)
    {
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, Ct);
        return client;
    }

    private static async Task<string> PingAsync(TcpClient client)
    {
        await client.GetStream().WriteAsync("PING\r\n"u8.ToArray(), Ct);
        return await ReadLineAsync(client);
    }

    /// <summary>
    /// One CRLF-terminated line. An orderly end of stream is reported as an <see cref="EndOfStreamException"/>,
    /// so a FIN where an RST is expected fails the caller's assertion; a hang ends after <see cref="Prompt"/>.
    /// </summary>
    private static async Task<string> ReadLineAsync(TcpClient client)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(Prompt);
        var line = new StringBuilder();
        var buffer = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await client.GetStream().ReadAsync(buffer, bounded.Token) == 0)
            {
                throw new EndOfStreamException($"end of stream after \"{line}\"");
            }

            line.Append((char)buffer[0]);
        }

        return line.ToString().TrimEnd();
    }
}
