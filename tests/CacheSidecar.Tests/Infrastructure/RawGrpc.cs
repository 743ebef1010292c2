using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// gRPC calls built by hand (protobuf bytes, the 5-byte message prefix, an HTTP/2 POST), for
/// requests no generated client can produce: strings that are not UTF-8, broken message frames.
/// </summary>
internal static class RawGrpc
{
    public const string CacheService = "/cachesidecar.v1.Cache/";

    /// <summary>A length-delimited protobuf field (strings, bytes, messages): tag, varint length, bytes.</summary>
    public static byte[] Field(int number, ReadOnlySpan<byte> bytes)
    {
        var buffer = new List<byte>(bytes.Length + 8);
        WriteVarint(buffer, (ulong)((number << 3) | 2));
        WriteVarint(buffer, (ulong)bytes.Length);
        buffer.AddRange(bytes);
        return [.. buffer];
    }

    public static byte[] Field(int number, string utf8) => Field(number, Encoding.UTF8.GetBytes(utf8));

    /// <summary>Fields concatenated into one message (field order does not matter to protobuf).</summary>
    public static byte[] Message(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    /// <summary>The gRPC length-prefixed message: compressed flag, 4-byte big-endian length, body.
    /// <paramref name="declaredLength"/> lets a test lie about the length.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> protobuf, bool compressed = false, uint? declaredLength = null)
    {
        var frame = new byte[5 + protobuf.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength ?? (uint)protobuf.Length);
        protobuf.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>POSTs <paramref name="body"/> as a unary call over HTTP/2 and reads the gRPC status
    /// (from the trailers, or from the headers of a trailers-only response).</summary>
    public static async Task<RawGrpcResult> CallAsync(HttpClient http, Uri address, string method, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact, // h2c with prior knowledge on http://
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        var message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
        return new RawGrpcResult(
            (int)response.StatusCode,
            status is null ? null : (StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message is null ? null : Uri.UnescapeDataString(message));
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }
}

/// <summary>What a hand-built call got back: the HTTP status and the gRPC status and message, if any.</summary>
internal sealed record RawGrpcResult(int HttpStatus, StatusCode? Status, string? Message);
