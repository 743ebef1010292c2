using System.Diagnostics;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Store;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Tests.ChangeStreams.ChangeStreamHarness;

namespace CacheSidecar.Tests.ChangeStreams;

/// <summary>
/// DESIGN §10: with <c>Invalidation: ChangeStream</c>, a change another service makes to the
/// collection stops being served within the bound, for every strategy and with the L1 on; the
/// sidecar's own writes are recognised by version and left cached; a store write whose cache
/// step never happened is caught too (issue 12, item 2). Runs against whatever MongoDB the fixture
/// chain found (the wire test server here, a replica set with MONGODB_URI).
/// </summary>
public abstract class ChangeStreamTests : IAsyncDisposable
{
    private readonly string _redis;
    private readonly SidecarHost _host;
    private readonly IMongoCollection<BsonDocument> _raw;

    protected ChangeStreamTests(string redis, MongoFixture mongo)
    {
        _redis = redis;
        var collection = NewCollection();
        _host = SidecarHost.Start(redis, mongo.ConnectionString, settings => Add(settings, collection));
        _raw = Collection(mongo.ConnectionString, collection);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData(CsCacheAside)]
    [InlineData(CsWriteThrough)]
    [InlineData(CsTtl)]
    [InlineData(CsNearCached)]
    public async Task Another_services_update_replace_and_delete_stop_being_served_within_the_bound(string ns)
    {
        await WaitUntilWatchingAsync(_redis, Policy(_host, ns));
        var key = TestNamespaces.UniqueKey();
        await _host.Client.PutJsonAsync(ns, key, """{"n":1}""");
        Assert.Equal("""{"n":1}""", (await _host.Client.GetAsync(ns, key)).Text());
        // Cached (Redis or L1) once the watcher has seen the Put's own change: applied while a read held its fill
        // lease, that change drops the lease, and only the next read fills.
        await WaitUntilAsync(async () => (await _host.Client.GetAsync(ns, key)).Source != ValueSource.Store,
            "the value is served from the cache");

        var committed = Stopwatch.GetTimestamp();
        await _raw.UpdateOneAsync(Id(key), Builders<BsonDocument>.Update.Set("n", 2));
        await ReadsTurnAsync(() => _host.Client.GetAsync(ns, key), r => r.Text() == """{"n":2}""", committed, "$set");

        await _host.Client.GetAsync(ns, key); // cached again
        committed = Stopwatch.GetTimestamp();
        await _raw.ReplaceOneAsync(Id(key), new BsonDocument { { "_id", key }, { "n", 3 } });
        await ReadsTurnAsync(() => _host.Client.GetAsync(ns, key), r => r.Text() == """{"n":3}""", committed, "replace");

        await _host.Client.GetAsync(ns, key);
        committed = Stopwatch.GetTimestamp();
        await _raw.DeleteOneAsync(Id(key));
        await ReadsTurnAsync(() => _host.Client.GetAsync(ns, key), r => !r.Found, committed, "delete");

        committed = Stopwatch.GetTimestamp();
        await _raw.InsertOneAsync(new BsonDocument { { "_id", key }, { "n", 4 } });
        await ReadsTurnAsync(() => _host.Client.GetAsync(ns, key), r => r.Text() == """{"n":4}""", committed, "insert");
    }

    [Fact]
    public async Task The_sidecars_own_writes_are_recognised_by_version_and_stay_cached()
    {
        await WaitUntilWatchingAsync(_redis, Policy(_host, CsWriteThrough));
        var own = TestNamespaces.UniqueKey();
        var marker = TestNamespaces.UniqueKey();
        await _host.Client.PutJsonAsync(CsWriteThrough, marker, "1");
        await _host.Client.PutJsonAsync(CsWriteThrough, own, "1");

        // Changes arrive in commit order: once the later external change is applied, so is the own write.
        var committed = Stopwatch.GetTimestamp();
        await _raw.ReplaceOneAsync(Id(marker), new BsonDocument { { "_id", marker }, { "n", 2 } });
        await ReadsTurnAsync(() => _host.Client.GetAsync(CsWriteThrough, marker), r => r.Text() == """{"n":2}""", committed, "marker");

        var read = await _host.Client.GetAsync(CsWriteThrough, own);
        Assert.Equal("1", read.Text());
        Assert.Equal(ValueSource.Cache, read.Source); // the watcher skipped it: the cache held that version
        Assert.Equal(0, _host.Store.Loads - 1); // only the marker was loaded again
    }

    [Fact]
    public async Task A_store_write_whose_cache_step_never_happened_is_invalidated_by_the_watcher()
    {
        await WaitUntilWatchingAsync(_redis, Policy(_host, CsWriteThrough));
        var key = TestNamespaces.UniqueKey();
        var put = await _host.Client.PutJsonAsync(CsWriteThrough, key, "1");

        // A Put whose store write landed but whose cache step did not (its sidecar was cut off from Redis).
        var version = long.Parse(put.Etag, System.Globalization.CultureInfo.InvariantCulture) + 1;
        var store = _host.Services.GetRequiredService<IRecordStore>();
        var committed = Stopwatch.GetTimestamp();
        await store.UpsertIfNewerAsync(Policy(_host, CsWriteThrough), key, new StoredRecord("2"u8.ToArray(), "application/json", version), default);

        await ReadsTurnAsync(() => _host.Client.GetAsync(CsWriteThrough, key), r => r.Text() == "2", committed, "undelivered");
    }

    private static FilterDefinition<BsonDocument> Id(string key) => Builders<BsonDocument>.Filter.Eq("_id", key);
}

public sealed class ChangeStreamOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : ChangeStreamTests(redis.Configuration, mongo);

public sealed class ChangeStreamOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : ChangeStreamTests(redis.Configuration, mongo);
