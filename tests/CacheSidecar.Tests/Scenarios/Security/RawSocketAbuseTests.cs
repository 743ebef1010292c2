using System.Buffers.Binary;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using static CacheSidecar.Tests.Infrastructure.RawHttp2Connection;

namespace CacheSidecar.Tests.Scenarios.Security;

/// <summary>
/// Whatever arrives on the port, a real sidecar process answers it with a GOAWAY, a stream reset
/// or a clear gRPC status, and keeps serving: random bytes, a valid preface followed by malformed
/// frames, and well-formed HTTP/2 gRPC requests whose message frame is broken. After each one a
/// normal Put and Get through a GrpcChannel must succeed.
/// </summary>
public sealed class RawSocketAbuseTests(RawSocketAbuseTests.SidecarFixture sidecar) : IClassFixture<RawSocketAbuseTests.SidecarFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private int Port => sidecar.Process.Address.Port;

    public static TheoryData<int, bool> RandomInputs() => new()
    {
        { 1, false }, { 2, false }, { 3, false },
        { 1, true }, { 2, true }, { 3, true },
    };

    [Theory]
    [MemberData(nameof(RandomInputs))]
    public async Task Random_bytes_end_the_connection_and_the_sidecar_keeps_serving(int seed, bool afterPreface)
    {
        var garbage = new byte[4096];
        new Random(seed).NextBytes(garbage); // fixed seeds: the same bytes every run
        await using var connection = await ConnectAsync(Port);

        await connection.SendAsync(afterPreface ? [.. Preface, .. garbage] : garbage);
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        // Without the preface: PROTOCOL_ERROR; after it, the first "frame" claims a length over the limit: FRAME_SIZE_ERROR.
        Assert.True(outcome.Kind == Http2OutcomeKind.GoAway && outcome.ErrorCode != Http2ErrorCode.NoError, outcome.ToString());

        await AssertStillServingAsync();
    }

    public static TheoryData<string, Http2ErrorCode> MalformedFrames() => new()
    {
        { "frame length over SETTINGS_MAX_FRAME_SIZE", Http2ErrorCode.FrameSizeError },
        { "HEADERS on stream 0", Http2ErrorCode.ProtocolError },
        { "DATA on an idle stream", Http2ErrorCode.ProtocolError },
        { "SETTINGS with a length that is not a multiple of 6", Http2ErrorCode.FrameSizeError },
        { "SETTINGS with an ACK and a payload", Http2ErrorCode.FrameSizeError },
        { "WINDOW_UPDATE overflowing the connection window", Http2ErrorCode.FlowControlError },
        { "WINDOW_UPDATE with a zero increment", Http2ErrorCode.ProtocolError },
        { "HEADERS with a garbage HPACK block", Http2ErrorCode.CompressionError },
        { "PING with a 3-byte payload", Http2ErrorCode.FrameSizeError },
        { "CONTINUATION without HEADERS", Http2ErrorCode.ProtocolError },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task A_malformed_frame_after_a_valid_preface_gets_a_goaway_and_the_sidecar_keeps_serving(string scenario, Http2ErrorCode expected)
    {
        var frame = scenario switch
        {
            // A header announcing 16 MiB - 1 of payload; the server must not wait for (or buffer) it.
            "frame length over SETTINGS_MAX_FRAME_SIZE" => Frame(FrameType.Data, 0, 1, new byte[16], declaredLength: 0xFFFFFF),
            "HEADERS on stream 0" => GrpcRequestHeaders(0, Port, "/cachesidecar.v1.Cache/Get"),
            "DATA on an idle stream" => Frame(FrameType.Data, EndStream, 1, RawGrpc.Frame([])),
            "SETTINGS with a length that is not a multiple of 6" => Frame(FrameType.Settings, 0, 0, new byte[5]),
            "SETTINGS with an ACK and a payload" => Frame(FrameType.Settings, Ack, 0, new byte[6]),
            "WINDOW_UPDATE overflowing the connection window" => Frame(FrameType.WindowUpdate, 0, 0, UInt31(0x7FFFFFFF)),
            "WINDOW_UPDATE with a zero increment" => Frame(FrameType.WindowUpdate, 0, 0, UInt31(0)),
            "HEADERS with a garbage HPACK block" => Frame(FrameType.Headers, EndHeaders | EndStream, 1, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            "PING with a 3-byte payload" => Frame(FrameType.Ping, 0, 0, new byte[3]),
            "CONTINUATION without HEADERS" => Frame(FrameType.Continuation, EndHeaders, 1, Hpack.Encode([(":method", "POST")])),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        await using var connection = await ConnectAsync(Port);

        await connection.SendAsync(Handshake(), frame);
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        Assert.True(outcome.Kind == Http2OutcomeKind.GoAway && outcome.ErrorCode == expected, $"{scenario}: {outcome}");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_unknown_frame_type_on_stream_0_is_ignored_as_RFC_9113_requires_and_the_connection_stays_usable()
    {
        await using var connection = await ConnectAsync(Port);

        // §4.1/§5.5: implementations MUST ignore frames of unknown types. The PING after it proves the connection lives on.
        await connection.SendAsync(Handshake(), Frame((FrameType)0xFA, 0xFF, 0, new byte[64]), Frame(FrameType.Ping, 0, 0, new byte[8]));
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        Assert.True(outcome.Kind == Http2OutcomeKind.PingAnswered, outcome.ToString());
        await AssertStillServingAsync();
    }

    // RFC 9113 §8.1.1 makes a malformed request a stream error of type PROTOCOL_ERROR; an endpoint
    // may escalate a stream error to the connection (§5.4), which Kestrel does for header-field violations.
    public static TheoryData<string, Http2OutcomeKind> MalformedRequestHeaders() => new()
    {
        { "no :path", Http2OutcomeKind.StreamReset },
        { "an uppercase header name", Http2OutcomeKind.GoAway },
        { "a connection-specific header", Http2OutcomeKind.GoAway },
        { "a pseudo-header after a regular header", Http2OutcomeKind.GoAway },
    };

    [Theory]
    [MemberData(nameof(MalformedRequestHeaders))]
    public async Task A_request_with_malformed_headers_gets_a_protocol_error_and_the_sidecar_keeps_serving(string scenario, Http2OutcomeKind expected)
    {
        (string, string)[] headers = scenario switch
        {
            "no :path" => [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"), ("content-type", "application/grpc")],
            "an uppercase header name" => [(":method", "POST"), (":scheme", "http"), (":path", "/cachesidecar.v1.Cache/Get"), ("Content-Type", "application/grpc")],
            "a connection-specific header" => [(":method", "POST"), (":scheme", "http"), (":path", "/cachesidecar.v1.Cache/Get"), ("connection", "keep-alive")],
            "a pseudo-header after a regular header" => [(":method", "POST"), ("content-type", "application/grpc"), (":scheme", "http"), (":path", "/cachesidecar.v1.Cache/Get")],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        await using var connection = await ConnectAsync(Port);

        await connection.SendAsync(Handshake(), Frame(FrameType.Headers, EndHeaders | EndStream, 1, Hpack.Encode(headers)));
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        Assert.True(outcome.Kind == expected && outcome.ErrorCode == Http2ErrorCode.ProtocolError, $"{scenario}: {outcome}");
        await AssertStillServingAsync();
    }

    public static TheoryData<string, StatusCode> MalformedGrpcMessages() => new()
    {
        { "length prefix larger than the body", StatusCode.Internal },
        { "compressed flag set without grpc-encoding", StatusCode.Internal },
        { "garbage protobuf", StatusCode.InvalidArgument },
        { "length prefix over the 4 MB message limit", StatusCode.ResourceExhausted },
        { "two messages on a unary call", StatusCode.Internal },
        { "truncated 5-byte prefix", StatusCode.Internal },
        { "no message at all", StatusCode.Internal },
        { "unknown method", StatusCode.Unimplemented },
        { "content type that is not gRPC", StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(MalformedGrpcMessages))]
    public async Task A_malformed_grpc_message_in_a_valid_http2_request_gets_a_clear_grpc_status_and_the_sidecar_keeps_serving(string scenario, StatusCode expected)
    {
        var valid = RawGrpc.Message(RawGrpc.Field(1, "users"), RawGrpc.Field(2, "k"));
        var path = scenario == "unknown method" ? "/cachesidecar.v1.Cache/Nope" : "/cachesidecar.v1.Cache/Get";
        var contentType = scenario == "content type that is not gRPC" ? "application/json" : "application/grpc";
        byte[] body = scenario switch
        {
            "length prefix larger than the body" => RawGrpc.Frame(valid, declaredLength: (uint)valid.Length + 100),
            "compressed flag set without grpc-encoding" => RawGrpc.Frame(valid, compressed: true),
            "garbage protobuf" => RawGrpc.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x34]),
            "length prefix over the 4 MB message limit" => RawGrpc.Frame(valid, declaredLength: 0x7FFFFFFF),
            "two messages on a unary call" => [.. RawGrpc.Frame(valid), .. RawGrpc.Frame(valid)],
            "truncated 5-byte prefix" => [0x00, 0x00],
            "no message at all" => [],
            "unknown method" or "content type that is not gRPC" => RawGrpc.Frame(valid),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        await using var connection = await ConnectAsync(Port);

        await connection.SendAsync(Handshake(), GrpcRequestHeaders(1, Port, path, contentType), Frame(FrameType.Data, EndStream, 1, body));
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        Assert.True(outcome.Kind == Http2OutcomeKind.Response && outcome.GrpcStatus == expected, $"{scenario}: {outcome}");
        Assert.False(string.IsNullOrWhiteSpace(outcome.GrpcMessage), $"{scenario}: the status carries a message");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task The_same_hand_built_request_with_a_valid_message_succeeds_so_the_statuses_above_are_about_the_message()
    {
        var valid = RawGrpc.Message(RawGrpc.Field(1, "users"), RawGrpc.Field(2, "k"));
        await using var connection = await ConnectAsync(Port);

        await connection.SendAsync(Handshake(), GrpcRequestHeaders(1, Port, "/cachesidecar.v1.Cache/Get"), Frame(FrameType.Data, EndStream, 1, RawGrpc.Frame(valid)));
        var outcome = await connection.ReadOutcomeAsync(streamId: 1, Bound);

        Assert.True(outcome.Kind == Http2OutcomeKind.Response && outcome.GrpcStatus == StatusCode.OK, outcome.ToString());
    }

    private async Task AssertStillServingAsync()
    {
        Assert.False(sidecar.Process.HasExited, sidecar.Process.Output);
        using var channel = GrpcChannel.ForAddress(sidecar.Process.Address);
        var client = new Cache.CacheClient(channel);
        var key = TestNamespaces.UniqueKey("alive");
        var deadline = DateTime.UtcNow.Add(Bound);

        var put = await client.PutAsync(new PutRequest { Namespace = "users", Key = key, Value = Google.Protobuf.ByteString.CopyFromUtf8("{\"ok\":true}"), ContentType = GrpcTestExtensions.Json }, deadline: deadline);
        var read = await client.GetAsync(new GetRequest { Namespace = "users", Key = key }, deadline: deadline);

        Assert.Equal(put.Etag, read.Etag);
        Assert.DoesNotContain("crit:", sidecar.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", sidecar.Process.Output, StringComparison.Ordinal);
    }

    private static byte[] UInt31(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value & 0x7FFFFFFF);
        return bytes;
    }

    /// <summary>One sidecar process (embedded default: no Redis or MongoDB needed) for the whole class.</summary>
    public sealed class SidecarFixture : IAsyncLifetime
    {
        internal SidecarProcess Process { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Process = TestSidecar.Start(new Dictionary<string, string?>
            {
                ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-abuse-{Guid.NewGuid():N}.db"),
            });
            await Process.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        }

        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}
