using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// BatchPut (DESIGN §2): many writes in one call, each through the namespace's strategy, one answer per item;
/// nothing atomic across keys; bad input refused as a whole before anything is written. Single Redis, a
/// 3-master cluster and the embedded tier.
/// </summary>
public abstract class BatchPutTests : IAsyncDisposable
{
    private readonly SidecarHost _host;
    private readonly bool _embedded;

    protected BatchPutTests(string redis, MongoFixture mongo)
    {
        _embedded = redis is null;
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(PureCache)]
    public async Task Every_item_is_written_through_the_strategy_and_answered_in_order(string ns)
    {
        var keys = Enumerable.Range(0, 10).Select(i => UniqueKey($"b{i}")).ToList();

        var response = await BatchPutAsync(ns, keys.Select((key, i) => Item(key, $"{i}")));

        Assert.Equal(keys, response.Items.Select(item => item.Key));
        for (var i = 0; i < keys.Count; i++)
        {
            var result = response.Items[i];
            Assert.Equal(0, result.Code);
            var read = await _host.Client.GetAsync(ns, keys[i]);
            Assert.Equal($"{i}", read.Text());
            Assert.Equal(result.Etag, read.Etag);
            // Write-behind queues; on the embedded tier it runs as write-through.
            Assert.Equal(ns == Wb && !_embedded ? (false, true) : (true, false), (result.Persisted, result.Queued));
        }
    }

    [Fact]
    public async Task One_item_failing_its_precondition_fails_alone_and_the_others_are_written()
    {
        var guarded = UniqueKey();
        var put = await _host.Client.PutJsonAsync(WriteThrough, guarded, "1");
        var other = UniqueKey();

        var response = await BatchPutAsync(WriteThrough, [Item(guarded, "2", ifMatch: "1"), Item(other, "3")]);

        Assert.Equal((int)StatusCode.FailedPrecondition, response.Items[0].Code);
        Assert.NotEmpty(response.Items[0].Message);
        Assert.Equal(string.Empty, response.Items[0].Etag);
        Assert.Equal(0, response.Items[1].Code);
        Assert.Equal("1", (await _host.Client.GetAsync(WriteThrough, guarded)).Text());
        Assert.Equal(put.Etag, (await _host.Client.GetAsync(WriteThrough, guarded)).Etag);
        Assert.Equal("3", (await _host.Client.GetAsync(WriteThrough, other)).Text());
    }

    public static TheoryData<string, string> BadBatches() => new()
    {
        { "empty", "Give at least one item" },
        { "over the limit", "1001 items in one call; at most 1000" },
        { "a key twice", "Item 1: the key is given twice" },
        { "invalid json in one item", "Item 1: " },
        { "an empty key in one item", "Item 2: " },
        { "a negative ttl in one item", "Item 0: ttl must not be negative" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_invalid_argument_and_nothing_is_written(string what, string message)
    {
        var a = UniqueKey();
        var b = UniqueKey();
        var items = what switch
        {
            "empty" => [],
            "over the limit" => Enumerable.Range(0, 1001).Select(i => Item(UniqueKey(), "1")).ToList(),
            "a key twice" => [Item(a, "1"), Item(a, "2")],
            "invalid json in one item" => [Item(a, "1"), Item(b, "{not json")],
            "an empty key in one item" => [Item(a, "1"), Item(b, "2"), Item(string.Empty, "3")],
            "a negative ttl in one item" => [Item(a, "1", ttl: new Google.Protobuf.WellKnownTypes.Duration { Seconds = -1 }), Item(b, "2")],
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => BatchPutAsync(CacheAside, items));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _host.Store.Writes);
        Assert.False((await _host.Client.GetAsync(CacheAside, a)).Found);
        Assert.False((await _host.Client.GetAsync(CacheAside, b)).Found);
    }

    [Fact]
    public async Task An_unknown_namespace_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => BatchPutAsync("no-such-namespace", [Item(UniqueKey(), "1")]));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static BatchPutItem Item(string key, string json, string ifMatch = "",
        Google.Protobuf.WellKnownTypes.Duration? ttl = null) => new()
        {
            Key = key,
            Value = ByteString.CopyFromUtf8(json),
            ContentType = GrpcTestExtensions.Json,
            IfMatch = ifMatch,
            Ttl = ttl,
        };

    private async Task<BatchPutResponse> BatchPutAsync(string ns, IEnumerable<BatchPutItem> items)
    {
        var request = new BatchPutRequest { Namespace = ns };
        request.Items.AddRange(items);
        return await _host.Client.BatchPutAsync(request);
    }
}

public sealed class BatchPutOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : BatchPutTests(redis.Configuration, mongo);

public sealed class BatchPutOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : BatchPutTests(redis.Configuration, mongo);

public sealed class BatchPutOnEmbeddedTierTests(MongoFixture mongo) : BatchPutTests(redis: null!, mongo);
