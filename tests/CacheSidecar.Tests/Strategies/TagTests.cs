using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// Tags (DESIGN §2): <c>Put(..., tags[])</c> and <c>InvalidateTags(namespace, tags[])</c>. Every entry written
/// with a tag stops being served from the cache (on every instance; near caches: NearCacheTests), the store is
/// untouched, and a value loaded again is tagged again. Single Redis, a 3-master cluster (tags live in their own
/// slots) and the embedded tier.
/// </summary>
public abstract class TagTests : IAsyncDisposable
{
    private readonly SidecarHost _host;
    private readonly string? _redis;

    protected TagTests(string redis, MongoFixture mongo)
    {
        _redis = redis;
        Mongo = mongo;
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
    }

    private MongoFixture Mongo { get; }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    [InlineData(Ttl)]
    public async Task An_invalidated_tag_stops_the_cached_value_being_served_and_the_store_still_has_it(string ns)
    {
        var key = UniqueKey();
        var put = await PutAsync(ns, key, "1", "product:7", "catalog");
        await FlushAsync(ns, key);
        await CachedAsync(ns, key);

        await InvalidateTagsAsync(ns, "catalog");

        var read = await _host.Client.GetAsync(ns, key);
        Assert.NotEqual(ValueSource.Cache, read.Source);
        Assert.Equal("1", read.Text());
        Assert.Equal(put.Etag, read.Etag);
    }

    [Fact]
    public async Task In_a_pure_cache_an_invalidated_tag_removes_the_value()
    {
        var key = UniqueKey();
        await PutAsync(PureCache, key, "1", "session-of:ada");
        Assert.True((await _host.Client.GetAsync(PureCache, key)).Found);

        await InvalidateTagsAsync(PureCache, "session-of:ada");

        Assert.False((await _host.Client.GetAsync(PureCache, key)).Found);
        var again = await PutAsync(PureCache, key, "2", "session-of:ada");
        var read = await _host.Client.GetAsync(PureCache, key);
        Assert.Equal(("2", again.Etag), (read.Text(), read.Etag)); // a write after the invalidation is served
    }

    [Fact]
    public async Task In_a_pure_cache_a_tagged_value_counts_as_present_until_its_tag_is_invalidated_then_as_absent()
    {
        var key = UniqueKey();
        var put = await PutAsync(PureCache, key, "5", "red");
        var exists = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PutAsync(new PutRequest { Namespace = PureCache, Key = key, Value = ByteString.CopyFromUtf8("0"), ContentType = GrpcTestExtensions.Json, IfNoneMatch = "*" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, exists.StatusCode);
        Assert.Equal(6, (await _host.Client.IncrementAsync(new IncrementRequest { Namespace = PureCache, Key = key, Delta = 1 })).Value);
        await PutAsync(PureCache, key, "5", "red");
        Assert.True((await _host.Client.TouchAsync(new TouchRequest { Namespace = PureCache, Key = key, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) })).Found);

        await InvalidateTagsAsync(PureCache, "red");

        // Every step that depends on the value sees it gone, as Get does.
        Assert.False((await _host.Client.TouchAsync(new TouchRequest { Namespace = PureCache, Key = key, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) })).Found);
        Assert.False((await _host.Client.DeleteAsync(PureCache, key)).Deleted);
        await PutAsync(PureCache, key, "5", "red");
        await InvalidateTagsAsync(PureCache, "red");
        Assert.Equal(1, (await _host.Client.IncrementAsync(new IncrementRequest { Namespace = PureCache, Key = key, Delta = 1 })).Value);
        await PutAsync(PureCache, key, "5", "red");
        await InvalidateTagsAsync(PureCache, "red");
        var created = await _host.Client.PutAsync(new PutRequest { Namespace = PureCache, Key = key, Value = ByteString.CopyFromUtf8("7"), ContentType = GrpcTestExtensions.Json, IfNoneMatch = "*" });
        Assert.Equal(("7", created.Etag), ((await _host.Client.GetAsync(PureCache, key)).Text(), (await _host.Client.GetAsync(PureCache, key)).Etag));
        Assert.NotEqual(put.Etag, created.Etag);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    public async Task Entries_without_the_tag_stay_cached(string ns)
    {
        var tagged = UniqueKey();
        var otherTag = UniqueKey();
        var untagged = UniqueKey();
        await PutAsync(ns, tagged, "1", "red");
        await PutAsync(ns, otherTag, "2", "blue");
        await PutAsync(ns, untagged, "3");
        foreach (var key in new[] { tagged, otherTag, untagged })
        {
            await FlushAsync(ns, key);
            await CachedAsync(ns, key);
        }

        await InvalidateTagsAsync(ns, "red");

        Assert.NotEqual(ValueSource.Cache, (await _host.Client.GetAsync(ns, tagged)).Source);
        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(ns, otherTag)).Source);
        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(ns, untagged)).Source);
    }

    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    [InlineData(Wb)]
    public async Task A_value_loaded_again_from_the_store_carries_its_tags_again(string ns)
    {
        var key = UniqueKey();
        await PutAsync(ns, key, "1", "catalog");
        await FlushAsync(ns, key);
        await CachedAsync(ns, key);
        await InvalidateTagsAsync(ns, "catalog");

        Assert.Equal(ValueSource.Store, (await _host.Client.GetAsync(ns, key)).Source); // loads and fills
        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(ns, key)).Source);
        await InvalidateTagsAsync(ns, "catalog");

        Assert.Equal(ValueSource.Store, (await _host.Client.GetAsync(ns, key)).Source);
        Assert.Equal(["catalog"], (await StoreProbe.LoadAsync(_host, ns, key))!.Tags!);
    }

    [Fact]
    public async Task A_put_without_tags_replaces_the_keys_tags()
    {
        var key = UniqueKey();
        await PutAsync(WriteThrough, key, "1", "catalog");
        await PutAsync(WriteThrough, key, "2");

        await InvalidateTagsAsync(WriteThrough, "catalog");

        var read = await _host.Client.GetAsync(WriteThrough, key);
        Assert.Equal((ValueSource.Cache, "2"), (read.Source, read.Text()));
        Assert.Null((await StoreProbe.LoadAsync(_host, WriteThrough, key))!.Tags);
    }

    [Fact]
    public async Task Another_instance_sharing_the_cache_stops_serving_the_tagged_value_too()
    {
        if (_host.IsEmbedded)
        {
            return; // the embedded tier is one process's memory: there is no other instance
        }

        await using var other = SidecarHost.Start(_redis, Mongo.ConnectionString, s => s["Sidecar:Redis:KeyPrefix"] = _host.KeyPrefix);
        var key = UniqueKey();
        await PutAsync(WriteThrough, key, "1", "catalog");
        Assert.Equal(ValueSource.Cache, (await other.Client.GetAsync(WriteThrough, key)).Source);

        await InvalidateTagsAsync(WriteThrough, "catalog");

        Assert.Equal(ValueSource.Store, (await other.Client.GetAsync(WriteThrough, key)).Source);
    }

    [Fact]
    public async Task Batch_put_items_carry_their_tags()
    {
        var tagged = UniqueKey();
        var untagged = UniqueKey();
        var request = new BatchPutRequest { Namespace = WriteThrough };
        request.Items.Add(new BatchPutItem { Key = tagged, Value = ByteString.CopyFromUtf8("1"), ContentType = GrpcTestExtensions.Json, Tags = { "red" } });
        request.Items.Add(new BatchPutItem { Key = untagged, Value = ByteString.CopyFromUtf8("2"), ContentType = GrpcTestExtensions.Json });
        await _host.Client.BatchPutAsync(request);

        await InvalidateTagsAsync(WriteThrough, "red");

        Assert.Equal(ValueSource.Store, (await _host.Client.GetAsync(WriteThrough, tagged)).Source);
        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(WriteThrough, untagged)).Source);
    }

    [Fact]
    public async Task Invalidating_a_tag_no_entry_carries_changes_nothing()
    {
        var key = UniqueKey();
        await PutAsync(WriteThrough, key, "1", "red");

        await InvalidateTagsAsync(WriteThrough, "never-used", "neither");

        Assert.Equal(ValueSource.Cache, (await _host.Client.GetAsync(WriteThrough, key)).Source);
    }

    public static TheoryData<string, string> BadTags() => new()
    {
        { "17 tags", "17 tags; a value may carry at most 16" },
        { "a tag of 129 bytes", "a tag is 129 bytes; at most 128" },
        { "an empty tag", "a tag must not be empty" },
        { "a control character", "a tag must not contain control characters" },
    };

    [Theory]
    [MemberData(nameof(BadTags))]
    public async Task A_put_with_bad_tags_is_invalid_argument_and_nothing_is_written(string what, string message)
    {
        var key = UniqueKey();
        string[] tags = what switch
        {
            "17 tags" => Enumerable.Range(0, 17).Select(i => $"t{i}").ToArray(),
            "a tag of 129 bytes" => [new string('x', 129)],
            "an empty tag" => ["ok", string.Empty],
            _ => ["line\nbreak"],
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => PutAsync(CacheAside, key, "1", tags));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _host.Store.Writes);
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found);
    }

    [Fact]
    public async Task Invalidate_tags_without_tags_or_with_a_bad_tag_is_invalid_argument()
    {
        var none = await Assert.ThrowsAsync<RpcException>(() => InvalidateTagsAsync(CacheAside));
        var tooLong = await Assert.ThrowsAsync<RpcException>(() => InvalidateTagsAsync(CacheAside, new string('x', 129)));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => InvalidateTagsAsync("no-such-namespace", "a"));

        Assert.Equal(StatusCode.InvalidArgument, none.StatusCode);
        Assert.Contains("Give the tags to invalidate", none.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<PutResponse> PutAsync(string ns, string key, string json, params string[] tags)
    {
        var request = new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFromUtf8(json), ContentType = GrpcTestExtensions.Json };
        request.Tags.AddRange(tags);
        return await _host.Client.PutAsync(request);
    }

    private async Task InvalidateTagsAsync(string ns, params string[] tags)
    {
        var request = new InvalidateTagsRequest { Namespace = ns };
        request.Tags.AddRange(tags);
        await _host.Client.InvalidateTagsAsync(request);
    }

    /// <summary>Reads until the value is answered from the cache (cache-aside and Ttl fill on the first read).</summary>
    private async Task CachedAsync(string ns, string key)
    {
        for (var read = 0; read < 3; read++)
        {
            if ((await _host.Client.GetAsync(ns, key)).Source == ValueSource.Cache)
            {
                return;
            }
        }

        Assert.Fail($"'{key}' is not served from the cache of '{ns}'.");
    }

    private Task FlushAsync(string ns, string key) => StoreProbe.FlushedAsync(_host, ns, key);
}

public sealed class TagOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : TagTests(redis.Configuration, mongo);

public sealed class TagOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : TagTests(redis.Configuration, mongo);

public sealed class TagOnEmbeddedTierTests(MongoFixture mongo) : TagTests(redis: null!, mongo);
