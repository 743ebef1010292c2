using System.Net;
using System.Net.Sockets;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// A plain request/reply RESP connection to one cluster node, for the set-up (slot map, <c>CLUSTER KEYSLOT</c>)
/// and the per-node counters (<c>INFO cpu</c>, <c>CLUSTER INFO</c>). It never follows a redirection: every
/// command it sends is either node-local or checked by the caller.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _filled;

    private RespConnection(Socket socket, int port)
    {
        _socket = socket;
        Port = port;
    }

    public int Port { get; }

    public static async Task<RespConnection> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new RespConnection(socket, port);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and returns its reply; an error reply throws.</summary>
    public async Task<object?> ExecuteAsync(CancellationToken cancellationToken, params string[] command)
    {
        await _socket.SendAsync(RespProtocol.Encode(command), SocketFlags.None, cancellationToken);
        while (true)
        {
            if (_filled > 0 && RespProtocol.TryRead(_buffer.AsSpan(0, _filled), out var value, out var consumed))
            {
                _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
                _filled -= consumed;
                return value is RespErrorReply error
                    ? throw new InvalidOperationException(
                        $"{string.Join(' ', command)} on port {Port}: {error.Message}")
                    : value;
            }

            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"Redis on port {Port} closed the connection.");
            }

            _filled += read;
        }
    }

    /// <summary>A command whose reply is a bulk string (INFO, CLUSTER INFO).</summary>
    public async Task<string> TextAsync(CancellationToken cancellationToken, params string[] command) =>
        await ExecuteAsync(cancellationToken, command) as string
        ?? throw new InvalidDataException($"{string.Join(' ', command)}: not a text reply.");

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
