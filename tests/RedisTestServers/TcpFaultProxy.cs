using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CacheSidecar.Testing.Redis.Internal;

namespace CacheSidecar.Testing.Redis;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards every connection to one target, byte for byte both ways, and can
/// cut the network on demand: <see cref="Cut"/> resets every open connection and resets each new one as soon
/// as it is accepted (so a client's reconnect fails fast instead of hanging), <see cref="Restore"/> forwards
/// again. Point one client at <see cref="EndPoint"/> and others straight at the target to partition one
/// client from a server the others still reach.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    // Bounds the upstream connect, so a dead target resets the client instead of leaving it waiting.
    private static readonly TimeSpan UpstreamConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    // Guards _cut and _open together: a pair is either registered before Cut() takes its snapshot (and is
    // reset by it) or sees _cut set and resets itself, never neither.
    private readonly Lock _gate = new();
    private readonly HashSet<ProxiedConnection> _open = [];
    private readonly HashSet<Task> _running = [];
    private bool _cut;
    private bool _disposed;

    private TcpFaultProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    /// <summary>"127.0.0.1:port", usable as a StackExchange.Redis configuration string.</summary>
    public string EndPoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The "host:port" every connection is forwarded to.</summary>
    public string Target => string.Create(CultureInfo.InvariantCulture, $"{_targetHost}:{_targetPort}");

    /// <summary>True between <see cref="Cut"/> and <see cref="Restore"/>.</summary>
    public bool IsCut
    {
        get
        {
            lock (_gate)
            {
                return _cut;
            }
        }
    }

    /// <summary>Connections currently forwarded (client and upstream both open).</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// Starts listening on a free loopback port and forwarding to <paramref name="target"/> ("host:port").
    /// </summary>
    public static TcpFaultProxy Start(string target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var colon = target.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Expected \"host:port\", got \"{target}\".", nameof(target));
        }

        return new TcpFaultProxy(target[..colon].Trim('[', ']'), port);
    }

    /// <summary>
    /// Resets every open connection (RST to the client and to the target) and, until <see cref="Restore"/>,
    /// resets each new connection as soon as it is accepted. Returns once the open ones are reset.
    /// </summary>
    public void Cut()
    {
        ProxiedConnection[] victims;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _cut = true;
            victims = [.. _open];
            _open.Clear();
        }

        foreach (var connection in victims)
        {
            connection.Reset();
        }
    }

    /// <summary>Forwards new connections again (connections reset by <see cref="Cut"/> stay gone).</summary>
    public void Restore()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _cut = false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"TCP fault proxy {EndPoint} -> {Target}{(IsCut ? " (cut)" : string.Empty)}";

    /// <summary>Stops listening, resets every connection and waits for the pumps to end.</summary>
    public async ValueTask DisposeAsync()
    {
        ProxiedConnection[] victims;
        Task[] running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            victims = [.. _open];
            _open.Clear();
        }

        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var connection in victims)
        {
            connection.Reset();
        }

        await _acceptLoop.ConfigureAwait(false);
        lock (_gate)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                or SocketException && _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A client gave up between SYN and accept (ECONNABORTED): nothing to forward.
                continue;
            }

            // Each connection is set up on its own, so a slow upstream connect never delays the next accept.
            Track(ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        if (IsCut || _stopping.IsCancellationRequested)
        {
            ProxiedConnection.Abort(client);
            return;
        }

        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            client.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(UpstreamConnectTimeout);
            await upstream.ConnectAsync(_targetHost, _targetPort, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The target is not reachable: the client sees the same as a failed connect would show it.
            ProxiedConnection.Abort(upstream);
            ProxiedConnection.Abort(client);
            return;
        }

        var connection = new ProxiedConnection(client, upstream);
        lock (_gate)
        {
            if (_cut || _disposed)
            {
                // Cut() ran while the upstream connect was in flight.
                connection.Reset();
                return;
            }

            _open.Add(connection);
        }

        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(connection);
            }
        }
    }

    private void Track(Task task)
    {
        lock (_gate)
        {
            _running.Add(task);
        }

        // Forgotten once done, so a long run with many reconnects keeps no list of finished tasks.
        _ = task.ContinueWith(
            done =>
            {
                lock (_gate)
                {
                    _running.Remove(done);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
