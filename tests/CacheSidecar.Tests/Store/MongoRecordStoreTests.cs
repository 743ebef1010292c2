using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Tests.Store;

/// <summary>
/// The MongoDB store adapter through the real driver over a real socket, against whatever the
/// fixture chain found (MONGODB_URI, Testcontainers, or the wire-protocol test server).
/// </summary>
public sealed class MongoRecordStoreTests(MongoFixture mongo)
{
    private const string Database = "store_adapter_tests";

    // The store's clock, fixed for exact assertions, but at the real time (to the second): the test server's TTL
    // monitor runs on the real clock, and would purge at once a tombstone whose purge time lies in the past.
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private readonly MongoRecordStore _store = new(
        Options.Create(new SidecarOptions
        {
            Mongo = new MongoOptions { ConnectionString = mongo.ConnectionString, Database = Database, WriteConcern = "1" },
        }),
        new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now),
        Microsoft.Extensions.Logging.Abstractions.NullLogger<MongoRecordStore>.Instance);

    private readonly IMongoDatabase _raw = new MongoClient(mongo.ConnectionString).GetDatabase(Database);

    private static readonly NamespacePolicy Strings = NamespacePolicy.From("s", new NamespaceOptions { Collection = "adapter_strings" });
    private static readonly NamespacePolicy ObjectIds = NamespacePolicy.From("o", new NamespaceOptions { Collection = "adapter_oids", IdType = IdType.ObjectId });

    [Fact]
    public async Task A_json_object_is_stored_as_a_native_document_with_reserved_metadata()
    {
        var key = TestNamespaces.UniqueKey();
        var json = """{"name":"ada","age":36,"big":9007199254740993,"ratio":0.5,"tags":["a","b"],"nested":{"ok":true,"none":null}}""";

        await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord(Encoding.UTF8.GetBytes(json), "application/json", 7), default);

        var raw = await _raw.GetCollection<BsonDocument>("adapter_strings").Find(new BsonDocument("_id", key)).SingleAsync();
        Assert.Equal("ada", raw["name"].AsString);
        Assert.Equal(36, raw["age"].AsInt32);
        Assert.Equal(9007199254740993L, raw["big"].AsInt64);
        Assert.True(raw["nested"]["ok"].AsBoolean);
        Assert.Equal(7L, raw["_cs"]["v"].AsInt64);
        Assert.Equal("application/json", raw["_cs"]["ct"].AsString);
        var loaded = await _store.LoadAsync(Strings, key, default);
        Assert.Equal(json, Encoding.UTF8.GetString(loaded!.Value.Span));
        Assert.Equal(7, loaded.Version);
    }

    [Fact]
    public async Task Json_that_is_not_a_plain_object_is_kept_in_a_value_field()
    {
        var key = TestNamespaces.UniqueKey();
        foreach (var json in new[] { "[1,2,3]", "\"text\"", "42", """{"_id":"clash","x":1}""" })
        {
            await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord(Encoding.UTF8.GetBytes(json), "application/json", DateTime.UtcNow.Ticks), default);
            Assert.Equal(json, Encoding.UTF8.GetString((await _store.LoadAsync(Strings, key, default))!.Value.Span));
        }
    }

    [Fact]
    public async Task Other_content_is_stored_as_binary_data()
    {
        var key = TestNamespaces.UniqueKey();
        var bytes = new byte[] { 0, 1, 2, 255, 254 };

        await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord(bytes, "application/octet-stream", 1), default);

        var raw = await _raw.GetCollection<BsonDocument>("adapter_strings").Find(new BsonDocument("_id", key)).SingleAsync();
        Assert.Equal(bytes, raw["data"].AsBsonBinaryData.Bytes);
        var loaded = await _store.LoadAsync(Strings, key, default);
        Assert.Equal(bytes, loaded!.Value.ToArray());
        Assert.Equal("application/octet-stream", loaded.ContentType);
    }

    [Fact]
    public async Task ObjectId_namespaces_use_ObjectId_ids()
    {
        var key = ObjectId.GenerateNewId().ToString();

        await _store.UpsertIfNewerAsync(ObjectIds, key, new StoredRecord("{\"a\":1}"u8.ToArray(), "application/json", 1), default);

        var raw = await _raw.GetCollection<BsonDocument>("adapter_oids").Find(new BsonDocument("_id", ObjectId.Parse(key))).SingleAsync();
        Assert.Equal(1, raw["a"].AsInt32);
        var many = await _store.LoadManyAsync(ObjectIds, [key], default);
        Assert.True(many.ContainsKey(key));
    }

    [Fact]
    public async Task A_guarded_upsert_never_regresses_a_newer_version()
    {
        var key = TestNamespaces.UniqueKey();

        Assert.Equal(StoreWriteOutcome.Applied, await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("3"u8.ToArray(), "application/json", 3), default));
        Assert.Equal(StoreWriteOutcome.Applied, await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("5"u8.ToArray(), "application/json", 5), default));
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("4"u8.ToArray(), "application/json", 4), default));
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("5b"u8.ToArray(), "application/octet-stream", 5), default));

        var loaded = await _store.LoadAsync(Strings, key, default);
        Assert.Equal(5, loaded!.Version);
        Assert.Equal("5", Encoding.UTF8.GetString(loaded.Value.Span));
    }

    [Fact]
    public async Task A_document_another_service_wrote_without_metadata_can_be_read_and_overwritten()
    {
        var key = TestNamespaces.UniqueKey();
        await _raw.GetCollection<BsonDocument>("adapter_strings").InsertOneAsync(new BsonDocument { { "_id", key }, { "legacy", true } });

        var loaded = await _store.LoadAsync(Strings, key, default);
        Assert.Equal("""{"legacy":true}""", Encoding.UTF8.GetString(loaded!.Value.Span));
        Assert.Equal(0, loaded.Version);
        Assert.Equal(StoreWriteOutcome.Applied, await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("1"u8.ToArray(), "application/json", 1), default));
    }

    [Fact]
    public async Task Replace_and_delete_with_an_expected_version_only_apply_at_that_version()
    {
        var key = TestNamespaces.UniqueKey();
        await _store.UpsertIfNewerAsync(Strings, key, new StoredRecord("1"u8.ToArray(), "application/json", 10), default);

        Assert.Equal(StoreWriteOutcome.PreconditionFailed, await _store.ReplaceIfVersionAsync(Strings, key, new StoredRecord("2"u8.ToArray(), "application/json", 12), 9, default));
        Assert.Equal(StoreWriteOutcome.Applied, await _store.ReplaceIfVersionAsync(Strings, key, new StoredRecord("2"u8.ToArray(), "application/json", 12), 10, default));
        Assert.Equal(DeleteOutcome.PreconditionFailed, await _store.DeleteAsync(Strings, key, 13, 10, default));
        Assert.Equal(DeleteOutcome.Removed, await _store.DeleteAsync(Strings, key, 13, 12, default));
        Assert.Null(await _store.LoadAsync(Strings, key, default));
    }

    [Fact]
    public async Task A_counter_and_tags_are_plain_bson_other_services_can_query()
    {
        var key = Guid.NewGuid().ToString("N");
        var record = new StoredRecord("7"u8.ToArray(), "application/json", 10, ["red"]);
        Assert.Equal(StoreWriteOutcome.Applied, await _store.UpsertIfNewerAsync(Strings, key, record, default));
        var collection = _raw.GetCollection<BsonDocument>("adapter_strings");
        var tagged = await collection.Find(Builders<BsonDocument>.Filter.Eq("_cs.tags", "red") & Builders<BsonDocument>.Filter.Eq("_id", key)).SingleAsync();
        Assert.Equal(7, tagged["value"].ToInt64());

        await _store.IncrementAsync(Strings, key, 5, default);

        var counter = await collection.Find(Builders<BsonDocument>.Filter.Eq("_id", key)).SingleAsync();
        Assert.True(counter["value"].IsNumeric, counter.ToString());
        Assert.Equal(12, counter["value"].ToInt64());
        Assert.False(counter["_cs"].AsBsonDocument.Contains("tags"), counter.ToString());
    }

    [Fact]
    public async Task Create_if_absent_inserts_only_where_no_live_value_is() =>
        await StoreConditionalChecks.InsertIfAbsentAsync(_store, Strings, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_counter_is_incremented_atomically_to_the_next_version() =>
        await StoreConditionalChecks.IncrementAsync(_store, Strings, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tags_are_kept_with_the_value() =>
        await StoreConditionalChecks.TagsAsync(_store, Strings, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tombstones_keep_the_delete_version_read_as_absent_and_refuse_older_writes() =>
        await StoreTombstoneChecks.RunAsync(_store, Strings, TestNamespaces.UniqueKey());

    [Fact]
    public async Task A_tombstone_is_a_document_with_only_id_and_metadata_purged_by_a_ttl_index()
    {
        var key = TestNamespaces.UniqueKey();
        var ns = Strings with { TombstoneRetention = TimeSpan.FromHours(3) };
        await _store.UpsertIfNewerAsync(ns, key, new StoredRecord("""{"name":"ada"}"""u8.ToArray(), "application/json", 1), default);

        Assert.Equal(DeleteOutcome.Removed, await _store.DeleteAsync(ns, key, 2, null, default));

        var collection = _raw.GetCollection<BsonDocument>("adapter_strings");
        var raw = await collection.Find(new BsonDocument("_id", key)).SingleAsync();
        Assert.Equal(["_id", "_cs"], raw.Names);
        Assert.Equal(2, raw["_cs"]["v"].ToInt64());
        Assert.True(raw["_cs"]["d"].AsBoolean);
        Assert.Equal(Now.AddHours(3).UtcDateTime, raw["_cs"]["purgeAt"].ToUniversalTime());
        var indexes = await (await collection.Indexes.ListAsync()).ToListAsync();
        var purge = Assert.Single(indexes, index => index["name"] == "cachesidecar_tombstone_purge");
        Assert.Equal(new BsonDocument("_cs.purgeAt", 1), purge["key"].AsBsonDocument);
        Assert.Equal(0, purge["expireAfterSeconds"].ToInt32());
    }

    [Fact]
    public async Task A_document_another_service_wrote_is_deleted_into_a_tombstone_like_any_other()
    {
        var key = TestNamespaces.UniqueKey();
        await _raw.GetCollection<BsonDocument>("adapter_strings").InsertOneAsync(new BsonDocument { { "_id", key }, { "legacy", true } });

        Assert.Equal(DeleteOutcome.Removed, await _store.DeleteAsync(Strings, key, 1, null, default));
        Assert.Null(await _store.LoadAsync(Strings, key, default));
        Assert.Equal(1, await _store.LoadVersionAsync(Strings, key, default));
    }
}
