using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// Create-if-absent (DESIGN §2, <c>if_none_match: "*"</c>): the write happens only when the key has no live
/// value, else FAILED_PRECONDITION with nothing written; of concurrent creators exactly one wins, on every
/// strategy. Single Redis, a 3-master cluster and the embedded tier.
/// </summary>
public abstract class CreateIfAbsentTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected CreateIfAbsentTests(string redis, MongoFixture mongo)
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
    public async Task An_absent_key_is_created_and_a_second_create_fails_leaving_the_first_value(string ns)
    {
        var key = UniqueKey();

        var created = await CreateAsync(ns, key, "1");
        var second = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(ns, key, "2"));

        Assert.Equal(StatusCode.FailedPrecondition, second.StatusCode);
        Assert.Contains("already has a value", second.Status.Detail, StringComparison.Ordinal);
        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal("1", read.Text());
        Assert.Equal(created.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    [InlineData(PureCache)]
    public async Task A_deleted_key_counts_as_absent(string ns)
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(ns, key, "1");
        await _host.Client.DeleteAsync(ns, key);

        var created = await CreateAsync(ns, key, "2");

        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal("2", read.Text());
        Assert.Equal(created.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    [InlineData(PureCache)]
    public async Task Of_32_concurrent_creators_exactly_one_succeeds(string ns)
    {
        var key = UniqueKey();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(async i =>
        {
            try
            {
                return (Winner: i, (await CreateAsync(ns, key, $"{i}")).Etag, Code: StatusCode.OK);
            }
            catch (RpcException ex)
            {
                return (Winner: i, Etag: string.Empty, Code: ex.StatusCode);
            }
        }));

        var winners = outcomes.Where(o => o.Code == StatusCode.OK).ToList();
        var winner = Assert.Single(winners);
        Assert.All(outcomes.Where(o => o.Code != StatusCode.OK), o => Assert.Equal(StatusCode.FailedPrecondition, o.Code));
        var read = await _host.Client.GetAsync(ns, key);
        Assert.Equal($"{winner.Winner}", read.Text());
        Assert.Equal(winner.Etag, read.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(Wb)]
    public async Task A_value_only_the_store_holds_is_found_when_the_cache_has_nothing(string ns)
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(ns, key, "1");
        await FlushAsync(ns, key);
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = ns, Keys = { key } });

        var error = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(ns, key, "2"));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("1", (await StoreProbe.LoadAsync(_host, ns, key))!.Value.ToArray().AsUtf8());
    }

    [Fact]
    public async Task In_a_pure_cache_an_expired_entry_counts_as_absent()
    {
        var key = UniqueKey();
        await _host.Client.PutAsync(new PutRequest
        {
            Namespace = PureCache,
            Key = key,
            Value = ByteString.CopyFromUtf8("1"),
            ContentType = GrpcTestExtensions.Json,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        });
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        await CreateAsync(PureCache, key, "2");

        Assert.Equal("2", (await _host.Client.GetAsync(PureCache, key)).Text());
    }

    [Fact]
    public async Task A_batch_item_that_exists_fails_alone()
    {
        var existing = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, existing, "1");
        var fresh = UniqueKey();
        var request = new BatchPutRequest { Namespace = WriteThrough };
        request.Items.Add(new BatchPutItem { Key = existing, Value = ByteString.CopyFromUtf8("2"), ContentType = GrpcTestExtensions.Json, IfNoneMatch = "*" });
        request.Items.Add(new BatchPutItem { Key = fresh, Value = ByteString.CopyFromUtf8("3"), ContentType = GrpcTestExtensions.Json, IfNoneMatch = "*" });

        var response = await _host.Client.BatchPutAsync(request);

        Assert.Equal((int)StatusCode.FailedPrecondition, response.Items[0].Code);
        Assert.Equal(0, response.Items[1].Code);
        Assert.Equal("1", (await _host.Client.GetAsync(WriteThrough, existing)).Text());
        Assert.Equal("3", (await _host.Client.GetAsync(WriteThrough, fresh)).Text());
    }

    [Theory]
    [InlineData("yes", "", "if_none_match accepts only \"*\"")]
    [InlineData("*", "1", "Give if_match or if_none_match, not both")]
    public async Task A_bad_condition_is_invalid_argument_and_nothing_is_written(string ifNoneMatch, string ifMatch, string message)
    {
        var key = UniqueKey();

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PutAsync(new PutRequest
        {
            Namespace = CacheAside,
            Key = key,
            Value = ByteString.CopyFromUtf8("1"),
            ContentType = GrpcTestExtensions.Json,
            IfNoneMatch = ifNoneMatch,
            IfMatch = ifMatch,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _host.Store.Writes);
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found);
    }

    private async Task<PutResponse> CreateAsync(string ns, string key, string json) =>
        await _host.Client.PutAsync(new PutRequest
        {
            Namespace = ns,
            Key = key,
            Value = ByteString.CopyFromUtf8(json),
            ContentType = GrpcTestExtensions.Json,
            IfNoneMatch = "*",
        });

    private Task FlushAsync(string ns, string key) => StoreProbe.FlushedAsync(_host, ns, key);
}

public sealed class CreateIfAbsentOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : CreateIfAbsentTests(redis.Configuration, mongo);

public sealed class CreateIfAbsentOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : CreateIfAbsentTests(redis.Configuration, mongo);

public sealed class CreateIfAbsentOnEmbeddedTierTests(MongoFixture mongo) : CreateIfAbsentTests(redis: null!, mongo);
