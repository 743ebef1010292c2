using System.Net.Sockets;

namespace CacheSidecar.Testing.Redis.Internal;

/// <summary>
/// One accepted client socket and its upstream socket, with a pump copying bytes in each direction.
/// A clean end of stream is passed on as a half-close, so request/response protocols finish normally;
/// anything else (an error, <see cref="Reset"/>) resets both sockets.
/// </summary>
internal sealed class ProxiedConnection
{
    // Large enough that a multi-megabyte Redis value crosses in few reads; small enough for many pairs.
    private const int BufferSize = 64 * 1024;

    private readonly Socket _client;
    private readonly Socket _upstream;
    private int _closed;

    public ProxiedConnection(Socket client, Socket upstream)
    {
        _client = client;
        _upstream = upstream;
    }

    /// <summary>Copies both ways until both directions ended or the pair was reset.</summary>
    public async Task RunAsync()
    {
        try
        {
            await Task.WhenAll(PumpAsync(_client, _upstream), PumpAsync(_upstream, _client)).ConfigureAwait(false);
        }
        finally
        {
            // Both directions ended cleanly (or one failed and reset the pair): nothing may stay open.
            Reset();
        }
    }

    /// <summary>
    /// Aborts both sockets: linger 0 makes the close send RST instead of FIN, so each peer sees
    /// "connection reset" at once, as after a network fault, instead of an orderly end of stream.
    /// </summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        Abort(_client);
        Abort(_upstream);
    }

    /// <summary>Closes <paramref name="socket"/> with an RST; safe on a socket that already failed.</summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us: a plain close below is all that is left to do.
        }

        socket.Close();
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    // The sender finished: pass the FIN on and let the other direction run to its end.
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None)
                        .ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // A peer reset or Reset() closed the sockets under us: the whole pair goes down.
            Reset();
        }
    }
}
