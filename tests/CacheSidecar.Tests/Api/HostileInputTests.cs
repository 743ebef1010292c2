using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Api;

/// <summary>
/// Hostile input beyond <see cref="BadInputTests"/>, table-driven over every RPC: keys with NUL and
/// other control characters, keys and names that are not UTF-8 (only a hand-built request can
/// carry those), values exactly at and one byte over the limit, extreme TTLs, JSON that parses but
/// cannot be stored, messages over the server's size limit. Each gets a clear status and a message,
/// nothing is written, and the sidecar keeps serving.
/// </summary>
public sealed class HostileInputTests(RedisSingleFixture redis, MongoFixture mongo) : IAsyncDisposable
{
    // On a real socket: the hand-built HTTP/2 requests need one.
    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, kestrel: true);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    public static TheoryData<string, string> ControlCharacterKeys()
    {
        var data = new TheoryData<string, string>();
        foreach (var rpc in new[] { "get", "batchget", "put", "delete", "invalidate" })
        {
            foreach (var key in new[] { "nul", "only nul", "newline", "escape", "del", "c1" })
            {
                data.Add(rpc, key);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ControlCharacterKeys))]
    public async Task A_key_with_control_characters_is_invalid_argument_on_every_rpc(string rpc, string kind)
    {
        var key = kind switch
        {
            "nul" => "a\0b",
            "only nul" => "\0",
            "newline" => "k\nforged log line",
            "escape" => "\u001b[31mred",
            "del" => "k\u007f",
            "c1" => "k\u0085",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Call(rpc, Small, key), Small, key: null); // no read-back: the key itself is refused
    }

    public static TheoryData<string, string> NotUtf8Fields()
    {
        var data = new TheoryData<string, string>();
        foreach (var rpc in new[] { "Get", "BatchGet", "Put", "Delete", "Invalidate" })
        {
            data.Add(rpc, "key: 0xFF 0xFE");
            data.Add(rpc, "key: overlong NUL (0xC0 0x80)");
            data.Add(rpc, "key: UTF-8 encoded surrogate (0xED 0xA0 0x80)");
            data.Add(rpc, "key: truncated sequence (0xE2 0x82)");
            data.Add(rpc, "namespace: 0xFF");
        }

        data.Add("Put", "content_type: 0xFF");
        data.Add("Put", "if_match: 0xFF");
        data.Add("Delete", "if_match: 0xFF");
        return data;
    }

    [Theory]
    [MemberData(nameof(NotUtf8Fields))]
    public async Task A_string_field_that_is_not_utf8_is_invalid_argument_on_every_rpc(string rpc, string field)
    {
        byte[] bad = field switch
        {
            "key: 0xFF 0xFE" => [(byte)'k', 0xFF, 0xFE],
            "key: overlong NUL (0xC0 0x80)" => [(byte)'k', 0xC0, 0x80],
            "key: UTF-8 encoded surrogate (0xED 0xA0 0x80)" => [(byte)'k', 0xED, 0xA0, 0x80],
            "key: truncated sequence (0xE2 0x82)" => [(byte)'k', 0xE2, 0x82],
            _ => [0xFF],
        };
        var target = field.Split(':')[0];
        byte[] Str(string name, string fallback) => target == name ? bad : System.Text.Encoding.UTF8.GetBytes(fallback);

        // Field numbers from protos/cachesidecar/v1/cache.proto.
        var body = rpc switch
        {
            "Get" => RawGrpc.Message(RawGrpc.Field(1, Str("namespace", PureCache)), RawGrpc.Field(2, Str("key", "k"))),
            "BatchGet" => RawGrpc.Message(RawGrpc.Field(1, Str("namespace", PureCache)), RawGrpc.Field(2, "ok"), RawGrpc.Field(2, Str("key", "k"))),
            "Put" => RawGrpc.Message(
                RawGrpc.Field(1, Str("namespace", PureCache)),
                RawGrpc.Field(2, Str("key", "k")),
                RawGrpc.Field(3, "v"u8),
                RawGrpc.Field(4, Str("content_type", "text/plain")),
                target == "if_match" ? RawGrpc.Field(6, bad) : []),
            "Delete" => RawGrpc.Message(RawGrpc.Field(1, Str("namespace", PureCache)), RawGrpc.Field(2, Str("key", "k")), target == "if_match" ? RawGrpc.Field(3, bad) : []),
            "Invalidate" => RawGrpc.Message(RawGrpc.Field(1, Str("namespace", PureCache)), RawGrpc.Field(2, Str("key", "k"))),
            _ => throw new ArgumentOutOfRangeException(nameof(rpc)),
        };
        var existing = await _host.Client.PutJsonAsync(CacheAside, UniqueKey("exists"), "1");
        var writesBefore = _host.Store.Writes;
        using var http = new HttpClient();

        var result = await RawGrpc.CallAsync(http, _host.KestrelAddress!, RawGrpc.CacheService + rpc, RawGrpc.Frame(body));

        Assert.Equal(200, result.HttpStatus);
        Assert.True(StatusCode.InvalidArgument == result.Status, $"{rpc} {field}: {result}");
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
        Assert.Equal(writesBefore, _host.Store.Writes);
        Assert.False((await _host.Client.GetAsync(PureCache, "k\uFFFD\uFFFD")).Found); // not stored under a replacement key either
        Assert.False((await _host.Client.GetAsync(PureCache, "k\uFFFD")).Found);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task The_same_hand_built_request_with_valid_utf8_succeeds_so_the_refusals_above_are_about_the_bytes()
    {
        var key = UniqueKey("raw");
        var body = RawGrpc.Message(RawGrpc.Field(1, PureCache), RawGrpc.Field(2, key), RawGrpc.Field(3, "v"u8), RawGrpc.Field(4, "text/plain"));
        using var http = new HttpClient();

        var result = await RawGrpc.CallAsync(http, _host.KestrelAddress!, RawGrpc.CacheService + "Put", RawGrpc.Frame(body));

        Assert.Equal(StatusCode.OK, result.Status);
        Assert.Equal("v", (await _host.Client.GetAsync(PureCache, key)).Text());
    }

    [Fact]
    public async Task Server_reflection_still_describes_the_cache_service_under_the_strict_binding()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_host.Channel);
        using var call = reflection.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "cachesidecar.v1.Cache");
    }

    private const string Oversized = "kkkkkkkkkkkkkkkkk"; // 17 bytes; the small namespace allows 16

    public static TheoryData<string, StatusCode> ValueAndKeyLimits() => new()
    {
        { "value of exactly MaxValueBytes", StatusCode.OK },
        { "value one byte over MaxValueBytes", StatusCode.InvalidArgument },
        { "json value of exactly MaxValueBytes", StatusCode.OK },
        { "default 1 MiB value exactly at the limit", StatusCode.OK },
        { "default 1 MiB value one byte over", StatusCode.InvalidArgument },
        { "key of exactly MaxKeyBytes", StatusCode.OK },
        { "key within MaxKeyBytes characters but over in UTF-8 bytes", StatusCode.InvalidArgument },
        { "delete: oversized key", StatusCode.InvalidArgument },
        { "invalidate: oversized key", StatusCode.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(ValueAndKeyLimits))]
    public async Task Values_and_keys_at_the_limit_are_accepted_and_one_byte_over_refused(string scenario, StatusCode expected)
    {
        var c = _host.Client;
        var unique = UniqueKey()[..16];
        (string Ns, string? Key, Func<Task> Call) limit = scenario switch
        {
            "value of exactly MaxValueBytes" => (Small, unique, () => Put(Small, unique, new byte[64])),
            "value one byte over MaxValueBytes" => (Small, unique, () => Put(Small, unique, new byte[65])),
            "json value of exactly MaxValueBytes" => (Small, unique, () => c.PutJsonAsync(Small, unique, $"\"{new string('x', 62)}\"")),
            "default 1 MiB value exactly at the limit" => (CacheAside, unique, () => Put(CacheAside, unique, new byte[1024 * 1024])),
            "default 1 MiB value one byte over" => (CacheAside, unique, () => Put(CacheAside, unique, new byte[(1024 * 1024) + 1])),
            "key of exactly MaxKeyBytes" => (Small, unique, () => Put(Small, unique, "v"u8.ToArray())),
            "key within MaxKeyBytes characters but over in UTF-8 bytes" => (Small, null, () => Put(Small, "€€€€€€", "v"u8.ToArray())), // 6 chars, 18 bytes
            "delete: oversized key" => (Small, null, () => c.DeleteAsync(Small, Oversized)),
            "invalidate: oversized key" => (Small, null, () => c.InvalidateAsync(new InvalidateRequest { Namespace = Small, Keys = { Oversized } }).ResponseAsync),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        if (expected == StatusCode.OK)
        {
            await limit.Call();
            Assert.True((await c.GetAsync(limit.Ns, limit.Key!)).Found);
            return;
        }

        await AssertRefusedAsync(expected, limit.Call, limit.Ns, limit.Key);
    }

    public static TheoryData<string> ExtremeTtls() =>
    [
        "100 years",
        "Duration maximum (315,576,000,000 s)",
        "seconds = long.MaxValue (not a valid Duration)",
        "nanos only, negative",
        "positive seconds with negative nanos (not a valid Duration)",
        "nanos = 1,000,000,000 (not a valid Duration)",
        "1 nanosecond (below the cache's millisecond resolution)",
        "999 microseconds",
    ];

    [Theory]
    [MemberData(nameof(ExtremeTtls))]
    public async Task An_extreme_ttl_is_invalid_argument_and_nothing_is_written(string scenario)
    {
        var ttl = scenario switch
        {
            "100 years" => Duration.FromTimeSpan(TimeSpan.FromDays(36525)),
            "Duration maximum (315,576,000,000 s)" => new Duration { Seconds = Duration.MaxSeconds, Nanos = 999_999_999 },
            "seconds = long.MaxValue (not a valid Duration)" => new Duration { Seconds = long.MaxValue },
            "nanos only, negative" => new Duration { Nanos = -1 },
            "positive seconds with negative nanos (not a valid Duration)" => new Duration { Seconds = 10, Nanos = -1 },
            "nanos = 1,000,000,000 (not a valid Duration)" => new Duration { Seconds = 1, Nanos = 1_000_000_000 },
            "1 nanosecond (below the cache's millisecond resolution)" => new Duration { Nanos = 1 },
            "999 microseconds" => new Duration { Nanos = 999_000 },
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        foreach (var ns in new[] { CacheAside, PureCache, WriteThrough })
        {
            var key = UniqueKey("ttl");
            await AssertRefusedAsync(StatusCode.InvalidArgument, () => _host.Client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFromUtf8("1"), Ttl = ttl }).ResponseAsync, ns, key);
        }
    }

    [Fact]
    public async Task The_smallest_ttl_the_cache_can_hold_is_accepted()
    {
        // Only acceptance is checked: Redis itself drops the entry after 1 ms of real time.
        var put = await _host.Client.PutAsync(new PutRequest { Namespace = CacheAside, Key = UniqueKey("ttl"), Value = ByteString.CopyFromUtf8("1"), Ttl = new Duration { Nanos = 1_000_000 } });

        Assert.True(put.Persisted);
        Assert.NotEmpty(put.Etag);
    }

    public static TheoryData<string> UnstorableJson() =>
    [
        "invalid UTF-8 inside a JSON string",
        "a nested property name with NUL",
        "a number beyond double range",
        "a byte-order mark before the JSON",
        "nesting deeper than 64 levels",
        "two JSON documents back to back",
    ];

    [Theory]
    [MemberData(nameof(UnstorableJson))]
    public async Task Json_that_cannot_be_read_or_stored_is_invalid_argument_on_every_store_backed_strategy(string scenario)
    {
        byte[] value = scenario switch
        {
            "invalid UTF-8 inside a JSON string" => [(byte)'"', 0xFF, 0xFE, (byte)'"'],
            "a nested property name with NUL" => "{\"a\":{\"b\\u0000c\":1}}"u8.ToArray(),
            "a number beyond double range" => "{\"n\":1e400}"u8.ToArray(),
            "a byte-order mark before the JSON" => [0xEF, 0xBB, 0xBF, (byte)'1'],
            "nesting deeper than 64 levels" => System.Text.Encoding.UTF8.GetBytes(new string('[', 65) + new string(']', 65)),
            "two JSON documents back to back" => "{}{}"u8.ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        foreach (var ns in new[] { CacheAside, WriteThrough, Ttl, PureCache })
        {
            var key = UniqueKey("json");
            await AssertRefusedAsync(
                StatusCode.InvalidArgument,
                () => _host.Client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFrom(value), ContentType = GrpcTestExtensions.Json }).ResponseAsync,
                ns,
                key);
        }
    }

    public static TheoryData<string> OversizedMessages() => ["Get", "BatchGet", "Put", "Delete", "Invalidate"];

    [Theory]
    [MemberData(nameof(OversizedMessages))]
    public async Task A_request_over_the_servers_4_MB_limit_is_resource_exhausted_on_every_rpc(string rpc)
    {
        var huge = new string('k', 5 * 1024 * 1024);
        var c = _host.Client;
        Func<Task> call = rpc switch
        {
            "Get" => () => c.GetAsync(CacheAside, huge),
            "BatchGet" => () => c.BatchGetAsync(new BatchGetRequest { Namespace = CacheAside, Keys = { Enumerable.Range(0, 100).Select(i => huge[..(52 * 1024)]) } }).ResponseAsync,
            "Put" => () => c.PutAsync(new PutRequest { Namespace = CacheAside, Key = "k", Value = ByteString.CopyFromUtf8(huge) }).ResponseAsync,
            "Delete" => () => c.DeleteAsync(CacheAside, huge),
            "Invalidate" => () => c.InvalidateAsync(new InvalidateRequest { Namespace = CacheAside, Keys = { huge } }).ResponseAsync,
            _ => throw new ArgumentOutOfRangeException(nameof(rpc)),
        };

        await AssertRefusedAsync(StatusCode.ResourceExhausted, call, CacheAside, "k");
    }

    /// <summary>The call fails with <paramref name="expected"/> and a message, the store saw no write,
    /// the key (when it is a valid one) reads as missing, and the sidecar still serves a Put and a Get.</summary>
    private async Task AssertRefusedAsync(StatusCode expected, Func<Task> call, string ns, string? key)
    {
        var writesBefore = _host.Store.Writes;

        var error = await Assert.ThrowsAsync<RpcException>(call);

        Assert.True(expected == error.StatusCode, error.Status.ToString());
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail), "the status carries a message");
        Assert.Equal(writesBefore, _host.Store.Writes);
        if (key is not null)
        {
            Assert.False((await _host.Client.GetAsync(ns, key)).Found);
        }

        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        var key = UniqueKey("alive");
        var put = await _host.Client.PutJsonAsync(CacheAside, key, "\"alive\"");
        var read = await _host.Client.GetAsync(CacheAside, key);
        Assert.Equal("\"alive\"", read.Text());
        Assert.Equal(put.Etag, read.Etag);
    }

    private Task Call(string rpc, string ns, string key)
    {
        var c = _host.Client;
        return rpc switch
        {
            "get" => c.GetAsync(ns, key),
            "batchget" => c.BatchGetAsync(new BatchGetRequest { Namespace = ns, Keys = { "ok", key } }).ResponseAsync,
            "put" => c.PutJsonAsync(ns, key, "1"),
            "delete" => c.DeleteAsync(ns, key),
            "invalidate" => c.InvalidateAsync(new InvalidateRequest { Namespace = ns, Keys = { key } }).ResponseAsync,
            _ => throw new ArgumentOutOfRangeException(nameof(rpc)),
        };
    }

    private Task<PutResponse> Put(string ns, string key, byte[] value) =>
        _host.Client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFrom(value) }).ResponseAsync;
}
