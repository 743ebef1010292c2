using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// Increment (DESIGN §2): an int64 counter created at 0, exact under concurrency on every strategy; a value
/// that is not a counter is FAILED_PRECONDITION and a sum beyond int64 OUT_OF_RANGE, with nothing written.
/// Single Redis, a 3-master cluster and the embedded tier. (Two sidecar processes: IncrementProcessTests.)
/// </summary>
public abstract class IncrementTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected IncrementTests(string redis, MongoFixture mongo)
    {
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    [InlineData(PureCache)]
    public async Task A_counter_starts_at_zero_and_each_increment_returns_the_new_value(string ns)
    {
        var key = UniqueKey();

        var first = await IncrementAsync(ns, key, 5);
        var second = await IncrementAsync(ns, key, -7);
        var read = await IncrementAsync(ns, key, 0);

        Assert.Equal((5, -2, -2), (first.Value, second.Value, read.Value));
        Assert.NotEqual(first.Etag, second.Etag);
        if (ns != PureCache && !(ns == Wb && !_host.IsEmbedded))
        {
            // Synchronous strategies: in the store by the time the call returns.
            Assert.Equal("-2", (await StoreProbe.LoadAsync(_host, ns, key))!.Value.ToArray().AsUtf8());
        }
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(PureCache)]
    public async Task A_get_reads_the_counter_as_json_at_the_increments_etag(string ns)
    {
        var key = UniqueKey();
        await IncrementAsync(ns, key, 41);

        var last = await IncrementAsync(ns, key, 1);

        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal("42", read.Text());
        Assert.Equal(GrpcTestExtensions.Json, read.ContentType);
        Assert.Equal(last.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    [InlineData(PureCache)]
    public async Task A_json_integer_put_earlier_is_a_counter(string ns)
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(ns, key, " 9007199254740993 "); // beyond 2^53: exact, not a double

        var result = await IncrementAsync(ns, key, 1);

        Assert.Equal(9007199254740994, result.Value);
    }

    public static TheoryData<string, string, string> NotCounters() => new()
    {
        { Wb, "\"five\"", GrpcTestExtensions.Json },
        { Wb, "5.5", GrpcTestExtensions.Json },
        { Wb, "5", "text/plain" },
        { Wb, "99999999999999999999", GrpcTestExtensions.Json },
        { CacheAside, "{\"n\":5}", GrpcTestExtensions.Json },
        { CacheAside, "5", "text/plain" },
        { CacheAside, "2.5", GrpcTestExtensions.Json },
        { WriteThrough, "[5]", GrpcTestExtensions.Json },
        { PureCache, "5.0", GrpcTestExtensions.Json },
        { PureCache, "5", "application/octet-stream" },
    };

    [Theory]
    [MemberData(nameof(NotCounters))]
    public async Task A_value_that_is_not_a_counter_is_failed_precondition_and_unchanged(string ns, string value, string contentType)
    {
        var key = UniqueKey();
        var put = await _host.Client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFromUtf8(value), ContentType = contentType });

        var error = await Assert.ThrowsAsync<RpcException>(() => IncrementAsync(ns, key, 1));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("not an integer counter", error.Status.Detail, StringComparison.Ordinal);
        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal(value, read.Text());
        Assert.Equal(put.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside, long.MaxValue - 1, 2)]
    [InlineData(WriteThrough, long.MinValue + 1, -2)]
    [InlineData(Wb, long.MaxValue, 1)]
    [InlineData(Wb, long.MinValue, -1)]
    [InlineData(PureCache, long.MaxValue - 1, 2)]
    [InlineData(PureCache, long.MinValue, long.MinValue)]
    public async Task A_sum_beyond_int64_is_out_of_range_and_the_counter_is_unchanged(string ns, long start, long delta)
    {
        var key = UniqueKey();
        var created = await IncrementAsync(ns, key, start);

        var error = await Assert.ThrowsAsync<RpcException>(() => IncrementAsync(ns, key, delta));

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Contains("overflow", error.Status.Detail, StringComparison.Ordinal);
        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal($"{start}", read.Text());
        Assert.Equal(created.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    [InlineData(PureCache)]
    public async Task Thirty_two_concurrent_callers_lose_no_increment(string ns)
    {
        var key = UniqueKey();

        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            for (var i = 0; i < 25; i++)
            {
                await IncrementAsync(ns, key, 1);
            }
        }));

        Assert.Equal(800, (await IncrementAsync(ns, key, 0)).Value);
        await FlushAsync(ns, key, "800");
        if (ns != PureCache)
        {
            Assert.Equal("800", (await StoreProbe.LoadAsync(_host, ns, key))!.Value.ToArray().AsUtf8());
        }
    }

    [Fact]
    public async Task A_write_behind_counter_known_only_to_the_store_continues_from_the_stored_value()
    {
        var key = UniqueKey();
        await IncrementAsync(Wb, key, 10);
        await FlushAsync(Wb, key, "10");
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = Wb, Keys = { key } });

        var result = await IncrementAsync(Wb, key, 5);

        Assert.Equal(15, result.Value);
        Assert.Equal(_host.IsEmbedded, result.Persisted);
        await FlushAsync(Wb, key, "15");
        Assert.Equal("15", (await StoreProbe.LoadAsync(_host, Wb, key))!.Value.ToArray().AsUtf8());
    }

    [Fact]
    public async Task A_pure_cache_counter_that_expired_starts_again_at_zero()
    {
        var key = UniqueKey();
        await _host.Client.IncrementAsync(new IncrementRequest
        {
            Namespace = PureCache,
            Key = key,
            Delta = 7,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        });
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(1, (await IncrementAsync(PureCache, key, 1)).Value);
    }

    public static TheoryData<string, string> BadIncrements() => new()
    {
        { "empty key", "key is required" },
        { "negative ttl", "ttl must not be negative" },
        { "unknown namespace", "Unknown namespace" },
    };

    [Theory]
    [MemberData(nameof(BadIncrements))]
    public async Task Bad_input_gets_a_clear_status_and_nothing_is_written(string what, string message)
    {
        var request = new IncrementRequest { Namespace = CacheAside, Key = UniqueKey(), Delta = 1 };
        switch (what)
        {
            case "empty key":
                request.Key = string.Empty;
                break;
            case "negative ttl":
                request.Ttl = new Google.Protobuf.WellKnownTypes.Duration { Seconds = -1 };
                break;
            default:
                request.Namespace = "no-such-namespace";
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.IncrementAsync(request).ResponseAsync);

        Assert.Equal(what == "unknown namespace" ? StatusCode.NotFound : StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _host.Store.Writes);
    }

    private async Task<IncrementResponse> IncrementAsync(string ns, string key, long delta) =>
        await _host.Client.IncrementAsync(new IncrementRequest { Namespace = ns, Key = key, Delta = delta });

    private Task FlushAsync(string ns, string key, string expected) => StoreProbe.FlushedAsync(
        _host, ns, key, stored => stored?.Value.ToArray().AsUtf8() == expected, $"is flushed as {expected}");
}

public sealed class IncrementOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : IncrementTests(redis.Configuration, mongo);

public sealed class IncrementOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : IncrementTests(redis.Configuration, mongo);

public sealed class IncrementOnEmbeddedTierTests(MongoFixture mongo) : IncrementTests(redis: null!, mongo);
