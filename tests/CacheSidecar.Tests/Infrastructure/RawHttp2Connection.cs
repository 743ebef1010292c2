using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>HTTP/2 frame types (RFC 9113 §6).</summary>
internal enum FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    RstStream = 0x3,
    Settings = 0x4,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 error codes (RFC 9113 §7).</summary>
public enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
}

public enum Http2OutcomeKind
{
    /// <summary>The server ended the connection with a GOAWAY frame.</summary>
    GoAway,

    /// <summary>The server reset the stream (RST_STREAM).</summary>
    StreamReset,

    /// <summary>The server closed the socket without a GOAWAY.</summary>
    Closed,

    /// <summary>The stream ended with response headers (and trailers).</summary>
    Response,

    /// <summary>The server acknowledged a PING: the connection is alive.</summary>
    PingAnswered,

    /// <summary>Nothing conclusive within the time bound.</summary>
    TimedOut,
}

/// <summary>How a hand-built exchange ended, with the response headers seen on the stream.</summary>
internal sealed record Http2Outcome(Http2OutcomeKind Kind, Http2ErrorCode ErrorCode, IReadOnlyList<(string Name, string Value)> Headers)
{
    public string? Header(string name) => Headers.Where(h => h.Name == name).Select(h => h.Value).LastOrDefault();

    public StatusCode? GrpcStatus => Header("grpc-status") is { } status ? (StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? GrpcMessage => Header("grpc-message") is { } message ? Uri.UnescapeDataString(message) : null;

    public override string ToString() =>
        $"{Kind} {ErrorCode} [{string.Join(", ", Headers.Select(h => $"{h.Name}: {h.Value}"))}]";
}

/// <summary>
/// A TCP connection that speaks HTTP/2 frames by hand (RFC 9113 §4.1), for sending what no HTTP/2
/// client would. It answers the server's SETTINGS and PINGs like a well-behaved peer and reads
/// until the server ends the connection or the stream, bounded by a timeout.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    private const byte Padded = 0x8;
    private const byte Priority = 0x20;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Hpack _hpack = new();

    private RawHttp2Connection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static byte[] Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static async Task<RawHttp2Connection> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        return new RawHttp2Connection(tcp);
    }

    /// <summary>One frame: 24-bit length, type, flags, 31-bit stream id, payload.
    /// <paramref name="declaredLength"/> lets a test lie about the length.</summary>
    public static byte[] Frame(FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload, int? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = (byte)type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId & 0x7FFFFFFF);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>Preface and an empty SETTINGS frame: what every connection starts with.</summary>
    public static byte[] Handshake() => [.. Preface, .. Frame(FrameType.Settings, 0, 0, [])];

    /// <summary>A HEADERS frame (END_HEADERS) for a gRPC unary call on <paramref name="streamId"/>.</summary>
    public static byte[] GrpcRequestHeaders(int streamId, int port, string path, string contentType = "application/grpc", bool endStream = false) =>
        Frame(FrameType.Headers, (byte)(EndHeaders | (endStream ? EndStream : 0)), streamId, Hpack.Encode(
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", path),
            (":authority", $"127.0.0.1:{port}"),
            ("content-type", contentType),
            ("te", "trailers"),
        ]));

    /// <summary>Sends bytes. A server that already hung up is not an error here: the outcome says what happened.</summary>
    public async Task SendAsync(params byte[][] chunks)
    {
        try
        {
            foreach (var chunk in chunks)
            {
                await _stream.WriteAsync(chunk);
            }

            await _stream.FlushAsync();
        }
        catch (IOException)
        {
            // reset by the server
        }
    }

    /// <summary>Reads frames until the connection or <paramref name="streamId"/> ends, a PING is
    /// acknowledged, or <paramref name="timeout"/> passes.</summary>
    public async Task<Http2Outcome> ReadOutcomeAsync(int streamId, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var headers = new List<(string Name, string Value)>();
        var block = new List<byte>();
        var streamEndsWithBlock = false;
        try
        {
            while (true)
            {
                var header = new byte[9];
                await _stream.ReadExactlyAsync(header, cts.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = (FrameType)header[3];
                var flags = header[4];
                var stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload, cts.Token);

                switch (type)
                {
                    case FrameType.Settings when (flags & Ack) == 0:
                        await SendAsync(Frame(FrameType.Settings, Ack, 0, []));
                        break;
                    case FrameType.Ping when (flags & Ack) == 0:
                        await SendAsync(Frame(FrameType.Ping, Ack, 0, payload));
                        break;
                    case FrameType.Ping:
                        return new(Http2OutcomeKind.PingAnswered, Http2ErrorCode.NoError, headers);
                    case FrameType.GoAway:
                        return new(Http2OutcomeKind.GoAway, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)), headers);
                    case FrameType.RstStream when stream == streamId:
                        return new(Http2OutcomeKind.StreamReset, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload), headers);
                    case FrameType.Headers or FrameType.Continuation:
                        block.AddRange(type == FrameType.Headers ? HeaderBlockFragment(payload, flags) : payload);
                        streamEndsWithBlock |= type == FrameType.Headers && (flags & EndStream) != 0;
                        if ((flags & EndHeaders) != 0)
                        {
                            var decoded = _hpack.Decode(block.ToArray()); // every block, to keep the dynamic table in step
                            block.Clear();
                            if (stream == streamId)
                            {
                                headers.AddRange(decoded);
                                if (streamEndsWithBlock)
                                {
                                    return new(Http2OutcomeKind.Response, Http2ErrorCode.NoError, headers);
                                }
                            }

                            streamEndsWithBlock = false;
                        }

                        break;
                    case FrameType.Data when stream == streamId && (flags & EndStream) != 0:
                        return new(Http2OutcomeKind.Response, Http2ErrorCode.NoError, headers);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return new(Http2OutcomeKind.TimedOut, Http2ErrorCode.NoError, headers);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return new(Http2OutcomeKind.Closed, Http2ErrorCode.NoError, headers);
        }
    }

    /// <summary>A HEADERS payload without its padding and priority fields.</summary>
    private static byte[] HeaderBlockFragment(byte[] payload, byte flags)
    {
        var start = 0;
        var end = payload.Length;
        if ((flags & Padded) != 0)
        {
            end -= payload[0];
            start = 1;
        }

        if ((flags & Priority) != 0)
        {
            start += 5;
        }

        return payload[start..end];
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
