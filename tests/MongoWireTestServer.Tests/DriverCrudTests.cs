using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// CRUD through the real MongoDB.Driver against whatever <see cref="MongoTargetFixture"/> chose.
/// Nothing here depends on the wire test server, so these assertions hold for real MongoDB too.
/// </summary>
public sealed class DriverCrudTests(MongoTargetFixture fixture)
{
    private static readonly ReplaceOptions Upsert = new() { IsUpsert = true };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BsonDocument Filter(string id) => new("_id", id);

    /// <summary>The product's version guard: match only when the stored version is older.</summary>
    private static BsonDocument Guard(string id, int version) =>
        new() { { "_id", id }, { "_cs.v", new BsonDocument("$lt", version) } };

    private static BsonDocument Versioned(string id, int version, string payload = "p") =>
        new() { { "_id", id }, { "_cs", new BsonDocument("v", version) }, { "payload", payload } };

    [Fact]
    public async Task Ping_succeeds()
    {
        BsonDocument reply = await fixture.Database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: Ct);
        Assert.Equal(1.0, reply["ok"].ToDouble());
    }

    [Fact]
    public async Task Insert_then_find_by_string_and_ObjectId_ids()
    {
        var collection = fixture.NewCollection();
        var withoutId = new BsonDocument("name", "generated");
        await collection.InsertOneAsync(new BsonDocument { { "_id", "s1" }, { "name", "string id" } }, cancellationToken: Ct);
        await collection.InsertOneAsync(withoutId, cancellationToken: Ct);

        BsonDocument byString = await collection.Find(Filter("s1")).FirstOrDefaultAsync(Ct);
        Assert.Equal("string id", byString["name"].AsString);

        ObjectId generated = withoutId["_id"].AsObjectId; // the driver adds the ObjectId before sending
        BsonDocument byObjectId = await collection.Find(new BsonDocument("_id", generated)).FirstOrDefaultAsync(Ct);
        Assert.Equal("generated", byObjectId["name"].AsString);
    }

    [Fact]
    public async Task FirstOrDefault_on_a_missing_id_is_null()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(new BsonDocument("_id", "present"), cancellationToken: Ct);
        Assert.Null(await collection.Find(Filter("absent")).FirstOrDefaultAsync(Ct));
    }

    [Fact]
    public async Task Find_with_In_over_more_than_one_batch_returns_everything()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync(Enumerable.Range(0, 300).Select(i => new BsonDocument { { "_id", $"k{i:D3}" }, { "i", i } }), cancellationToken: Ct);
        string[] wanted = Enumerable.Range(0, 250).Select(i => $"k{i * 6 / 5:D3}").Distinct().ToArray();

        List<BsonDocument> found = await collection.Find(Builders<BsonDocument>.Filter.In("_id", wanted)).ToListAsync(Ct);

        Assert.Equal(wanted.Order(StringComparer.Ordinal), found.Select(d => d["_id"].AsString).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReplaceOne_with_upsert_inserts_then_replaces()
    {
        var collection = fixture.NewCollection();
        ReplaceOneResult first = await collection.ReplaceOneAsync(Filter("r"), new BsonDocument("v", 1), Upsert, Ct);
        Assert.Equal("r", first.UpsertedId);
        Assert.Equal(0, first.MatchedCount);

        ReplaceOneResult second = await collection.ReplaceOneAsync(Filter("r"), new BsonDocument("v", 2), Upsert, Ct);
        Assert.Null(second.UpsertedId);
        Assert.Equal(1, second.MatchedCount);
        Assert.Equal(1, second.ModifiedCount);
        Assert.Equal(new BsonDocument { { "_id", "r" }, { "v", 2 } }, await collection.Find(Filter("r")).SingleAsync(Ct));
    }

    [Fact]
    public async Task Version_guard_inserts_when_missing_replaces_older_and_rejects_newer_as_duplicate_key()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync([Versioned("older", 3, "old"), Versioned("newer", 7, "kept")], cancellationToken: Ct);

        ReplaceOneResult inserted = await collection.ReplaceOneAsync(Guard("missing", 5), Versioned("missing", 5), Upsert, Ct);
        ReplaceOneResult replaced = await collection.ReplaceOneAsync(Guard("older", 5), Versioned("older", 5, "new"), Upsert, Ct);
        var rejected = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.ReplaceOneAsync(Guard("newer", 5), Versioned("newer", 5, "stale"), Upsert, Ct));

        Assert.Equal("missing", inserted.UpsertedId);
        Assert.Equal((1, 1), (replaced.MatchedCount, replaced.ModifiedCount));
        Assert.Equal(Versioned("older", 5, "new"), await collection.Find(Filter("older")).SingleAsync(Ct));
        Assert.Equal(ServerErrorCategory.DuplicateKey, rejected.WriteError.Category);
        Assert.Equal(11000, rejected.WriteError.Code);
        Assert.Equal(Versioned("newer", 7, "kept"), await collection.Find(Filter("newer")).SingleAsync(Ct));
    }

    [Fact]
    public async Task UpdateOne_sets_increments_and_unsets_dotted_paths()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(new BsonDocument { { "_id", "u" }, { "_cs", new BsonDocument("v", 1) }, { "stats", new BsonDocument("hits", 1) }, { "tmp", 1 } }, cancellationToken: Ct);
        var update = Builders<BsonDocument>.Update
            .Set("_cs.v", 2)
            .Inc("stats.hits", 5)
            .Inc("stats.misses", 2L)
            .Set("meta.created.by", "test")
            .Unset("tmp");

        UpdateResult result = await collection.UpdateOneAsync(Filter("u"), update, cancellationToken: Ct);
        UpdateResult noChange = await collection.UpdateOneAsync(Filter("u"), Builders<BsonDocument>.Update.Set("_cs.v", 2), cancellationToken: Ct);

        Assert.Equal((1, 1), (result.MatchedCount, result.ModifiedCount));
        Assert.Equal((1, 0), (noChange.MatchedCount, noChange.ModifiedCount));
        BsonDocument expected = BsonDocument.Parse(
            "{ _id: 'u', _cs: { v: 2 }, stats: { hits: 6, misses: NumberLong(2) }, meta: { created: { by: 'test' } } }");
        Assert.Equal(expected.ToBson(), (await collection.Find(Filter("u")).SingleAsync(Ct)).ToBson());
    }

    [Fact]
    public async Task UpdateOne_upsert_seeds_from_filter_equalities_and_applies_setOnInsert()
    {
        var collection = fixture.NewCollection();
        var update = Builders<BsonDocument>.Update.SetOnInsert("created", true).Inc("count", 1);
        var filter = new BsonDocument { { "_id", "up" }, { "tenant", "a" }, { "_cs.v", new BsonDocument("$lt", 3) } };

        UpdateResult first = await collection.UpdateOneAsync(filter, update, new UpdateOptions { IsUpsert = true }, Ct);
        UpdateResult second = await collection.UpdateOneAsync(Filter("up"), update, new UpdateOptions { IsUpsert = true }, Ct);

        Assert.Equal("up", first.UpsertedId);
        Assert.Null(second.UpsertedId);
        Assert.Equal(
            BsonDocument.Parse("{ _id: 'up', tenant: 'a', created: true, count: 2 }"),
            await collection.Find(Filter("up")).SingleAsync(Ct));
    }

    [Fact]
    public async Task DeleteOne_matches_on_id_and_version()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(Versioned("d", 3), cancellationToken: Ct);

        DeleteResult wrongVersion = await collection.DeleteOneAsync(new BsonDocument { { "_id", "d" }, { "_cs.v", 2 } }, Ct);
        DeleteResult rightVersion = await collection.DeleteOneAsync(new BsonDocument { { "_id", "d" }, { "_cs.v", new BsonDocument("$lte", 3) } }, Ct);

        Assert.Equal(0, wrongVersion.DeletedCount);
        Assert.Equal(1, rightVersion.DeletedCount);
        Assert.Equal(0, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task Unordered_bulk_write_reports_exactly_the_failed_operations_and_applies_the_rest()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync([Versioned("dup", 9), Versioned("gone1", 1), Versioned("gone2", 2), Versioned("keep", 3)], cancellationToken: Ct);
        WriteModel<BsonDocument>[] requests =
        [
            new ReplaceOneModel<BsonDocument>(Guard("new1", 1), Versioned("new1", 1)) { IsUpsert = true },
            new DeleteOneModel<BsonDocument>(Filter("gone1")),
            new ReplaceOneModel<BsonDocument>(Guard("dup", 5), Versioned("dup", 5)) { IsUpsert = true }, // stored v=9: E11000
            new UpdateOneModel<BsonDocument>(Filter("bad"), new BsonDocument("$set", new BsonDocument("$bad", 1))) { IsUpsert = true }, // refused for storage
            new DeleteOneModel<BsonDocument>(new BsonDocument { { "_id", "gone2" }, { "_cs.v", 2 } }),
            new DeleteOneModel<BsonDocument>(new BsonDocument { { "_id", "keep" }, { "_cs.v", 99 } }), // no match
            new ReplaceOneModel<BsonDocument>(Guard("new2", 1), Versioned("new2", 1)) { IsUpsert = true },
        ];

        var error = await Assert.ThrowsAsync<MongoBulkWriteException<BsonDocument>>(() =>
            collection.BulkWriteAsync(requests, new BulkWriteOptions { IsOrdered = false }, Ct));

        Assert.Equal([2, 3], error.WriteErrors.Select(e => e.Index).Order());
        BulkWriteError duplicate = error.WriteErrors.Single(e => e.Index == 2);
        Assert.Equal(ServerErrorCategory.DuplicateKey, duplicate.Category);
        Assert.Equal(52, error.WriteErrors.Single(e => e.Index == 3).Code);
        Assert.Equal([0, 6], error.Result.Upserts.Select(u => u.Index).Order());
        Assert.Equal(2, error.Result.DeletedCount);
        List<BsonDocument> remaining = await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync(Ct);
        Assert.Equal(["dup", "keep", "new1", "new2"], remaining.Select(d => d["_id"].AsString));
        Assert.Equal(9, remaining[0]["_cs"]["v"].AsInt32);
    }

    [Fact]
    public async Task Driver_refuses_a_top_level_dollar_field_in_a_replacement_before_sending()
    {
        // Surprise worth pinning: MongoDB.Driver 3.14 validates replacement documents client-side,
        // so such a document never reaches any server and a bulk containing it sends nothing.
        var collection = fixture.NewCollection();
        var bad = new BsonDocument { { "_id", "x" }, { "$bad", 1 } };

        await Assert.ThrowsAsync<BsonSerializationException>(() => collection.ReplaceOneAsync(Filter("x"), bad, Upsert, Ct));
        await Assert.ThrowsAsync<BsonSerializationException>(() => collection.BulkWriteAsync(
            [new ReplaceOneModel<BsonDocument>(Filter("ok"), Versioned("ok", 1)) { IsUpsert = true }, new ReplaceOneModel<BsonDocument>(Filter("x"), bad) { IsUpsert = true }],
            new BulkWriteOptions { IsOrdered = false },
            Ct));

        Assert.Equal(0, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task FindOneAndUpdate_returns_before_or_after_and_upserts()
    {
        var collection = fixture.NewCollection();
        var increment = Builders<BsonDocument>.Update.Inc("n", 1);
        var after = new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After, IsUpsert = true };
        var before = new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.Before };

        BsonDocument created = await collection.FindOneAndUpdateAsync(Filter("f"), increment, after, Ct);
        BsonDocument previous = await collection.FindOneAndUpdateAsync(Filter("f"), increment, before, Ct);
        BsonDocument? none = await collection.FindOneAndUpdateAsync(Filter("nope"), increment, before, Ct);
        BsonDocument deleted = await collection.FindOneAndDeleteAsync(Filter("f"), cancellationToken: Ct);

        Assert.Equal(new BsonDocument { { "_id", "f" }, { "n", 1 } }, created);
        Assert.Equal(new BsonDocument { { "_id", "f" }, { "n", 1 } }, previous);
        Assert.Null(none);
        Assert.Equal(new BsonDocument { { "_id", "f" }, { "n", 2 } }, deleted);
        Assert.Equal(0, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task CountDocuments_and_EstimatedDocumentCount()
    {
        var collection = fixture.NewCollection();
        Assert.Equal(0, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
        await collection.InsertManyAsync(Enumerable.Range(1, 10).Select(i => new BsonDocument { { "_id", i }, { "even", i % 2 == 0 } }), cancellationToken: Ct);

        Assert.Equal(10, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
        Assert.Equal(5, await collection.CountDocumentsAsync(new BsonDocument("even", true), cancellationToken: Ct));
        Assert.Equal(3, await collection.CountDocumentsAsync(new BsonDocument("even", true), new CountOptions { Skip = 1, Limit = 3 }, Ct));
        Assert.Equal(10, await collection.EstimatedDocumentCountAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Drop_collection_removes_it_and_dropping_a_missing_one_is_fine()
    {
        var collection = fixture.NewCollection();
        string name = collection.CollectionNamespace.CollectionName;
        await collection.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);
        Assert.Contains(name, await (await fixture.Database.ListCollectionNamesAsync(cancellationToken: Ct)).ToListAsync(Ct));

        await fixture.Database.DropCollectionAsync(name, Ct);
        await fixture.Database.DropCollectionAsync(name, Ct);

        Assert.DoesNotContain(name, await (await fixture.Database.ListCollectionNamesAsync(cancellationToken: Ct)).ToListAsync(Ct));
        Assert.Equal(0, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task Documents_of_every_common_type_round_trip_byte_for_byte()
    {
        var collection = fixture.NewCollection();
        var document = new BsonDocument
        {
            { "_id", new ObjectId("65a1b2c3d4e5f60718293a4b") },
            { "int", 42 },
            { "long", 1L << 40 },
            { "double", 1.0 },
            { "fraction", -0.125 },
            { "decimal", new BsonDecimal128(12.345m) },
            { "bool", false },
            { "null", BsonNull.Value },
            { "text", "héllo ✓" },
            { "when", new BsonDateTime(1_700_000_000_123) },
            { "bytes", new BsonBinaryData([0, 1, 2, 255]) },
            { "uuid", new BsonBinaryData(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), GuidRepresentation.Standard) },
            { "nested", new BsonDocument { { "a", new BsonDocument("b", new BsonArray { 1, "two", 3.0, BsonNull.Value }) }, { "empty", new BsonDocument() } } },
            { "array", new BsonArray { new BsonDocument("x", 1L), new BsonArray(), true } },
        };

        await collection.InsertOneAsync(document, cancellationToken: Ct);
        BsonDocument stored = await collection.Find(new BsonDocument("_id", document["_id"])).SingleAsync(Ct);

        Assert.Equal(document.ToBson(), stored.ToBson());
    }

    [Fact]
    public async Task Filters_follow_MongoDB_comparison_rules()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync(
        [
            new BsonDocument { { "_id", "int" }, { "v", 1 } },
            new BsonDocument { { "_id", "long" }, { "v", 2L } },
            new BsonDocument { { "_id", "double" }, { "v", 3.5 } },
            new BsonDocument { { "_id", "string" }, { "v", "2" } },
            new BsonDocument { { "_id", "null" }, { "v", BsonNull.Value } },
            new BsonDocument { { "_id", "missing" } },
            new BsonDocument { { "_id", "nested" }, { "v", new BsonDocument("w", 1) }, { "tags", new BsonArray { "a", "b" } } },
        ], cancellationToken: Ct);

        async Task<string[]> Ids(string filter) =>
            (await collection.Find(BsonDocument.Parse(filter)).Sort(new BsonDocument("_id", 1)).ToListAsync(Ct))
            .Select(d => d["_id"].AsString).ToArray();

        Assert.Equal(["int", "long"], await Ids("{ v: { $lt: 3 } }"));
        Assert.Equal(["double", "long"], await Ids("{ v: { $gte: 2.0 } }"));
        Assert.Equal(["int"], await Ids("{ v: 1.0 }"));
        Assert.Equal(["missing", "null"], await Ids("{ v: null }"));
        Assert.Equal(["missing"], await Ids("{ v: { $exists: false } }"));
        Assert.Equal(["int", "string"], await Ids("{ v: { $in: [NumberLong(1), '2'] } }"));
        Assert.Equal(["double", "long", "missing", "nested", "null", "string"], await Ids("{ v: { $ne: 1 } }"));
        Assert.Equal(["double", "int", "long", "missing", "null", "string"], await Ids("{ 'v.w': { $nin: [1] } }"));
        Assert.Equal(["nested"], await Ids("{ 'v.w': 1, tags: 'b' }"));
        Assert.Equal(["double", "int"], await Ids("{ $or: [ { v: 1 }, { v: { $gt: 3 } } ] }"));
        Assert.Equal(["long"], await Ids("{ $and: [ { v: { $gt: 1 } }, { v: { $lt: 3 } } ] }"));
    }

    [Fact]
    public async Task Find_honours_sort_skip_limit_and_projection()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync(Enumerable.Range(1, 5).Select(i => new BsonDocument { { "_id", i }, { "a", i * 10 }, { "b", "x" } }), cancellationToken: Ct);

        List<BsonDocument> page = await collection.Find(FilterDefinition<BsonDocument>.Empty)
            .Sort(new BsonDocument("_id", -1)).Skip(1).Limit(2)
            .Project(new BsonDocument("a", 1)).ToListAsync(Ct);
        List<BsonDocument> excluded = await collection.Find(new BsonDocument("_id", 1))
            .Project(new BsonDocument { { "b", 0 }, { "_id", 0 } }).ToListAsync(Ct);
        List<BsonDocument> idOnly = await collection.Find(new BsonDocument("_id", new BsonDocument("$in", new BsonArray { 2, 1 })))
            .Project(new BsonDocument("_id", 1)).ToListAsync(Ct);

        Assert.Equal([BsonDocument.Parse("{ _id: 4, a: 40 }"), BsonDocument.Parse("{ _id: 3, a: 30 }")], page);
        Assert.Equal([BsonDocument.Parse("{ a: 10 }")], excluded);
        Assert.Equal([new BsonDocument("_id", 1), new BsonDocument("_id", 2)], idOnly.OrderBy(d => d["_id"].AsInt32));
    }

    [Fact]
    public async Task Unordered_insert_many_reports_the_duplicate_and_inserts_the_rest()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(new BsonDocument("_id", 2), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<MongoBulkWriteException<BsonDocument>>(() => collection.InsertManyAsync(
            [new BsonDocument("_id", 1), new BsonDocument("_id", 2L), new BsonDocument("_id", 3)],
            new InsertManyOptions { IsOrdered = false },
            Ct));

        Assert.Equal(1, Assert.Single(error.WriteErrors).Index);
        Assert.Equal(ServerErrorCategory.DuplicateKey, error.WriteErrors[0].Category);
        Assert.Equal(3, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task Indexes_and_collections_can_be_listed()
    {
        var collection = fixture.NewCollection();
        string created = await collection.Indexes.CreateOneAsync(
            new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("_cs.v")), cancellationToken: Ct);

        List<BsonDocument> indexes = await (await collection.Indexes.ListAsync(Ct)).ToListAsync(Ct);

        Assert.Equal("_cs.v_1", created);
        Assert.Equal(["_cs.v_1", "_id_"], indexes.Select(i => i["name"].AsString).Order(StringComparer.Ordinal));
        Assert.Contains(fixture.Database.DatabaseNamespace.DatabaseName,
            await (await fixture.Database.Client.ListDatabaseNamesAsync(Ct)).ToListAsync(Ct));
    }
}
