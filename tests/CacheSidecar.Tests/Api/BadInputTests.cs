using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Api;

/// <summary>
/// DESIGN §2 status table, table-driven over every RPC: each bad request gets its status and a
/// message, nothing is written, and the sidecar keeps serving (a Get afterwards succeeds).
/// </summary>
public sealed class BadInputTests(RedisSingleFixture redis, MongoFixture mongo) : IAsyncDisposable
{
    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    public static TheoryData<string, StatusCode> Cases() => new()
    {
        { "get: empty namespace", StatusCode.InvalidArgument },
        { "get: unknown namespace", StatusCode.NotFound },
        { "get: empty key", StatusCode.InvalidArgument },
        { "get: oversized key", StatusCode.InvalidArgument },
        { "get: key that is not an ObjectId", StatusCode.InvalidArgument },
        { "batchget: unknown namespace", StatusCode.NotFound },
        { "batchget: one empty key", StatusCode.InvalidArgument },
        { "batchget: one oversized key", StatusCode.InvalidArgument },
        { "batchget: too many keys", StatusCode.InvalidArgument },
        { "put: unknown namespace", StatusCode.NotFound },
        { "put: empty key", StatusCode.InvalidArgument },
        { "put: oversized key", StatusCode.InvalidArgument },
        { "put: oversized value", StatusCode.InvalidArgument },
        { "put: negative ttl", StatusCode.InvalidArgument },
        { "put: zero ttl", StatusCode.InvalidArgument },
        { "put: ttl over MaxTtl", StatusCode.InvalidArgument },
        { "put: invalid json", StatusCode.InvalidArgument },
        { "put: invalid json with +json type", StatusCode.InvalidArgument },
        { "put: content type with control characters", StatusCode.InvalidArgument },
        { "put: if_match that does not match", StatusCode.FailedPrecondition },
        { "put: if_match that is not an etag", StatusCode.FailedPrecondition },
        { "put: if_match on a missing key", StatusCode.FailedPrecondition },
        { "delete: unknown namespace", StatusCode.NotFound },
        { "delete: empty key", StatusCode.InvalidArgument },
        { "delete: if_match that does not match", StatusCode.FailedPrecondition },
        { "invalidate: unknown namespace", StatusCode.NotFound },
        { "invalidate: no keys and not whole namespace", StatusCode.InvalidArgument },
        { "invalidate: keys and whole namespace", StatusCode.InvalidArgument },
        { "invalidate: empty key", StatusCode.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_clear_status_nothing_is_written_and_the_sidecar_keeps_serving(string scenario, StatusCode expected)
    {
        var key = UniqueKey("bad");
        var existing = await _host.Client.PutJsonAsync(Small, "exists", "1");
        var writesBefore = _host.Store.Writes;
        var c = _host.Client;
        Func<Task> call = scenario switch
        {
            "get: empty namespace" => () => c.GetAsync("", key),
            "get: unknown namespace" => () => c.GetAsync("nope", key),
            "get: empty key" => () => c.GetAsync(Small, ""),
            "get: oversized key" => () => c.GetAsync(Small, new string('k', 17)),
            "get: key that is not an ObjectId" => () => c.GetAsync(ObjectIds, "not-an-object-id"),
            "batchget: unknown namespace" => () => c.BatchGetAsync(new BatchGetRequest { Namespace = "nope", Keys = { key } }).ResponseAsync,
            "batchget: one empty key" => () => c.BatchGetAsync(new BatchGetRequest { Namespace = Small, Keys = { "a", "" } }).ResponseAsync,
            "batchget: one oversized key" => () => c.BatchGetAsync(new BatchGetRequest { Namespace = Small, Keys = { "a", new string('k', 17) } }).ResponseAsync,
            "batchget: too many keys" => () => c.BatchGetAsync(new BatchGetRequest { Namespace = Small, Keys = { Enumerable.Range(0, 1001).Select(i => $"k{i}") } }).ResponseAsync,
            "put: unknown namespace" => () => c.PutJsonAsync("nope", key, "1"),
            "put: empty key" => () => c.PutJsonAsync(Small, "", "1"),
            "put: oversized key" => () => c.PutJsonAsync(Small, new string('k', 17), "1"),
            "put: oversized value" => () => c.PutJsonAsync(Small, "v", $"\"{new string('x', 63)}\""),
            "put: negative ttl" => () => Put(Small, "t", ttl: new Duration { Seconds = -1 }),
            "put: zero ttl" => () => Put(Small, "t", ttl: new Duration()),
            "put: ttl over MaxTtl" => () => Put(Small, "t", ttl: Duration.FromTimeSpan(TimeSpan.FromHours(2))),
            "put: invalid json" => () => c.PutJsonAsync(Small, "j", "{\"a\":"),
            "put: invalid json with +json type" => () => Put(Small, "j", contentType: "application/problem+json", value: "not json"),
            "put: content type with control characters" => () => Put(Small, "j", contentType: "text/plain\n"),
            "put: if_match that does not match" => () => c.PutJsonAsync(Small, "exists", "2", ifMatch: "1"),
            "put: if_match that is not an etag" => () => c.PutJsonAsync(Small, "exists", "2", ifMatch: "W/\"abc\""),
            "put: if_match on a missing key" => () => c.PutJsonAsync(Small, "missing", "2", ifMatch: existing.Etag),
            "delete: unknown namespace" => () => c.DeleteAsync("nope", key),
            "delete: empty key" => () => c.DeleteAsync(Small, ""),
            "delete: if_match that does not match" => () => c.DeleteAsync(Small, "exists", "1"),
            "invalidate: unknown namespace" => () => c.InvalidateAsync(new InvalidateRequest { Namespace = "nope", Keys = { key } }).ResponseAsync,
            "invalidate: no keys and not whole namespace" => () => c.InvalidateAsync(new InvalidateRequest { Namespace = Small }).ResponseAsync,
            "invalidate: keys and whole namespace" => () => c.InvalidateAsync(new InvalidateRequest { Namespace = Small, Keys = { "a" }, WholeNamespace = true }).ResponseAsync,
            "invalidate: empty key" => () => c.InvalidateAsync(new InvalidateRequest { Namespace = Small, Keys = { "" } }).ResponseAsync,
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var error = await Assert.ThrowsAsync<RpcException>(call);

        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail), "the status carries a message");
        if (expected != StatusCode.FailedPrecondition)
        {
            // Refused before the store was asked. (A failed precondition is the store's guard refusing.)
            Assert.Equal(writesBefore, _host.Store.Writes);
        }

        foreach (var untouched in new[] { "t", "j", "v", "missing" })
        {
            Assert.False((await c.GetAsync(Small, untouched)).Found);
        }

        var stillServing = await c.GetAsync(Small, "exists");
        Assert.Equal("1", stillServing.Text());
        Assert.Equal(existing.Etag, stillServing.Etag);
    }

    [Fact]
    public async Task A_message_over_the_servers_max_size_is_resource_exhausted_and_the_sidecar_keeps_serving()
    {
        var tooBig = ByteString.CopyFrom(new byte[5 * 1024 * 1024]); // the gRPC server accepts 4 MB by default
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PutAsync(new PutRequest { Namespace = CacheAside, Key = UniqueKey(), Value = tooBig }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.False((await _host.Client.GetAsync(CacheAside, UniqueKey())).Found);
    }

    [Fact]
    public async Task ListNamespaces_shows_the_effective_policies()
    {
        var response = await _host.Client.ListNamespacesAsync(new ListNamespacesRequest());

        var small = Assert.Single(response.Namespaces, n => n.Name == Small);
        Assert.Equal("CacheAside", small.Strategy);
        Assert.Equal(16, small.MaxKeyBytes);
        Assert.Equal(64, small.MaxValueBytes);
        Assert.Equal("small_items", small.Collection);
        var pure = Assert.Single(response.Namespaces, n => n.Name == PureCache);
        Assert.Equal(string.Empty, pure.Collection);
        Assert.Equal(TimeSpan.FromMinutes(10), pure.Ttl.ToTimeSpan());
    }

    private Task<PutResponse> Put(string ns, string key, Duration? ttl = null, string contentType = "application/octet-stream", string value = "x") =>
        _host.Client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFromUtf8(value), ContentType = contentType, Ttl = ttl }).ResponseAsync;
}
