using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheSidecar.Testing.Redis.Internal;

/// <summary>An error reply (<c>-ERR ...</c>, <c>-LOADING ...</c>) from Redis.</summary>
internal sealed record RespError(string Message);

/// <summary>
/// A one-command-per-connection RESP2 client for the harness's own probes (PING, INFO, CLUSTER INFO/NODES,
/// SHUTDOWN). StackExchange.Redis is deliberately not used here: the probes must see raw replies such as
/// <c>-LOADING</c> from a half-started server, and must not leave a multiplexer reconnecting in the background.
/// </summary>
/// <remarks>
/// Replies map to: simple/bulk string → <see cref="string"/>, error → <see cref="RespError"/>,
/// integer → <see cref="long"/>, nil → null, array → <c>object?[]</c>.
/// </remarks>
internal static class RespClient
{
    public static async Task<object?> ExecuteAsync(int port, TimeSpan timeout, CancellationToken cancellationToken, params string[] command)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encode(command), deadline.Token);
        return await new Reader(stream).ReadReplyAsync(deadline.Token);
    }

    /// <summary>Sends a command whose success is the server going away (SHUTDOWN), so no reply is read.</summary>
    public static async Task SendAsync(int port, TimeSpan timeout, CancellationToken cancellationToken, params string[] command)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encode(command), deadline.Token);
        await stream.FlushAsync(deadline.Token);

        // Wait until the server closes the socket (or answers with an error), so the command was surely read.
        var buffer = new byte[256];
        try
        {
            _ = await stream.ReadAsync(buffer, deadline.Token);
        }
        catch (IOException)
        {
            // A reset is as good as a close here.
        }
    }

    private static byte[] Encode(string[] command)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"*{command.Length}\r\n");
        foreach (var part in command)
        {
            builder.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private sealed class Reader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                throw new InvalidDataException("Empty RESP line.");
            }

            var body = line[1..];
            switch (line[0])
            {
                case '+':
                    return body;
                case '-':
                    return new RespError(body);
                case ':':
                    return long.Parse(body, CultureInfo.InvariantCulture);
                case '$':
                    var length = int.Parse(body, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    var bytes = await ReadExactAsync(length + 2, cancellationToken); // payload + CRLF
                    return Encoding.UTF8.GetString(bytes, 0, length);
                case '*':
                    var count = int.Parse(body, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadReplyAsync(cancellationToken);
                    }

                    return items;
                default:
                    throw new InvalidDataException($"Not a RESP2 reply: '{line}'.");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var bytes = new List<byte>();
            while (true)
            {
                var b = await ReadByteAsync(cancellationToken);
                if (b == (byte)'\r')
                {
                    _ = await ReadByteAsync(cancellationToken); // '\n'
                    return Encoding.UTF8.GetString([.. bytes]);
                }

                bytes.Add(b);
            }
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = await ReadByteAsync(cancellationToken);
            }

            return result;
        }

        private async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    throw new EndOfStreamException("Redis closed the connection before replying.");
                }
            }

            return _buffer[_start++];
        }
    }
}
