using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// Collection validators (create/collMod with a query-operator <c>validator</c>) through the real
/// MongoDB.Driver, against whatever <see cref="MongoTargetFixture"/> chose, so the assertions
/// also hold for a real MongoDB. This is how tests make the store refuse one particular document.
/// </summary>
public sealed class DocumentValidationTests(MongoTargetFixture fixture)
{
    private const int DocumentValidationFailure = 121;

    /// <summary>Rejects exactly the documents whose payload is "poison".</summary>
    private static readonly BsonDocument NoPoison = BsonDocument.Parse("{ payload: { $ne: 'poison' } }");

    private static readonly ReplaceOptions Upsert = new() { IsUpsert = true };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BsonDocument Filter(string id) => new("_id", id);

    private static BsonDocument Guard(string id, int version) =>
        new() { { "_id", id }, { "_cs.v", new BsonDocument("$lt", version) } };

    private static BsonDocument Versioned(string id, int version, string payload = "p") =>
        new() { { "_id", id }, { "_cs", new BsonDocument("v", version) }, { "payload", payload } };

    private async Task<IMongoCollection<BsonDocument>> CreateAsync(
        BsonDocument validator, DocumentValidationLevel? level = null, DocumentValidationAction? action = null)
    {
        IMongoCollection<BsonDocument> collection = fixture.NewCollection();
        await fixture.Database.CreateCollectionAsync(
            collection.CollectionNamespace.CollectionName,
            new CreateCollectionOptions<BsonDocument> { Validator = validator, ValidationLevel = level, ValidationAction = action },
            Ct);
        return collection;
    }

    private static async Task<string[]> IdsAsync(IMongoCollection<BsonDocument> collection) =>
        (await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync(Ct))
        .Select(d => d["_id"].AsString).ToArray();

    [Fact]
    public async Task An_insert_that_fails_the_validator_is_error_121_and_a_valid_one_is_stored()
    {
        var collection = await CreateAsync(NoPoison);

        var error = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.InsertOneAsync(Versioned("bad", 1, "poison"), cancellationToken: Ct));
        await collection.InsertOneAsync(Versioned("good", 1), cancellationToken: Ct);

        Assert.Equal(DocumentValidationFailure, error.WriteError.Code);
        Assert.Equal("Document failed validation", error.WriteError.Message);
        Assert.Equal("bad", error.WriteError.Details["failingDocumentId"].AsString);
        Assert.True(error.WriteError.Details.Contains("details"));
        Assert.Equal(["good"], await IdsAsync(collection));
    }

    [Fact]
    public async Task An_unordered_bulk_of_upserts_reports_only_the_invalid_one_and_stores_the_others()
    {
        var collection = await CreateAsync(NoPoison);
        WriteModel<BsonDocument>[] requests =
        [
            new ReplaceOneModel<BsonDocument>(Guard("a", 1), Versioned("a", 1)) { IsUpsert = true },
            new ReplaceOneModel<BsonDocument>(Guard("b", 1), Versioned("b", 1, "poison")) { IsUpsert = true },
            new ReplaceOneModel<BsonDocument>(Guard("c", 1), Versioned("c", 1)) { IsUpsert = true },
        ];

        var error = await Assert.ThrowsAsync<MongoBulkWriteException<BsonDocument>>(() =>
            collection.BulkWriteAsync(requests, new BulkWriteOptions { IsOrdered = false }, Ct));

        BulkWriteError failed = Assert.Single(error.WriteErrors);
        Assert.Equal((1, DocumentValidationFailure), (failed.Index, failed.Code));
        Assert.Equal("b", failed.Details["failingDocumentId"].AsString);
        Assert.Equal([0, 2], error.Result.Upserts.Select(u => u.Index).Order());
        Assert.Equal(["a", "c"], await IdsAsync(collection));
    }

    [Fact]
    public async Task An_ordered_bulk_stops_at_the_invalid_document()
    {
        var collection = await CreateAsync(NoPoison);
        WriteModel<BsonDocument>[] requests =
        [
            new ReplaceOneModel<BsonDocument>(Guard("a", 1), Versioned("a", 1)) { IsUpsert = true },
            new ReplaceOneModel<BsonDocument>(Guard("b", 1), Versioned("b", 1, "poison")) { IsUpsert = true },
            new ReplaceOneModel<BsonDocument>(Guard("c", 1), Versioned("c", 1)) { IsUpsert = true },
        ];

        var error = await Assert.ThrowsAsync<MongoBulkWriteException<BsonDocument>>(() =>
            collection.BulkWriteAsync(requests, new BulkWriteOptions { IsOrdered = true }, Ct));

        BulkWriteError failed = Assert.Single(error.WriteErrors);
        Assert.Equal((1, DocumentValidationFailure), (failed.Index, failed.Code));
        Assert.Single(error.UnprocessedRequests);
        Assert.Equal(["a"], await IdsAsync(collection));
    }

    [Fact]
    public async Task Replacements_updates_and_upserts_that_would_store_an_invalid_document_fail_with_121()
    {
        var collection = await CreateAsync(NoPoison);
        await collection.InsertOneAsync(Versioned("kept", 1), cancellationToken: Ct);
        UpdateDefinition<BsonDocument> poison = Builders<BsonDocument>.Update.Set("payload", "poison");

        var replaceUpsert = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.ReplaceOneAsync(Filter("new"), Versioned("new", 1, "poison"), Upsert, Ct));
        var replace = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.ReplaceOneAsync(Filter("kept"), Versioned("kept", 2, "poison"), Upsert, Ct));
        var update = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.UpdateOneAsync(Filter("kept"), poison, cancellationToken: Ct));
        var updateUpsert = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.UpdateOneAsync(Filter("other"), poison, new UpdateOptions { IsUpsert = true }, Ct));

        Assert.All(new[] { replaceUpsert, replace, update, updateUpsert }, e => Assert.Equal(DocumentValidationFailure, e.WriteError.Code));
        Assert.Equal("kept", update.WriteError.Details["failingDocumentId"].AsString);
        Assert.Equal([Versioned("kept", 1)], await collection.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(Ct));
    }

    [Fact]
    public async Task An_invalid_upsert_whose_id_exists_is_a_validation_failure_not_a_duplicate_key()
    {
        // The validator runs before the unique _id index is touched, so a stale write (the
        // version guard does not match, the upsert collides on _id) that is also invalid is 121.
        var collection = await CreateAsync(NoPoison);
        await collection.InsertOneAsync(Versioned("k", 9), cancellationToken: Ct);

        var stale = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.ReplaceOneAsync(Guard("k", 5), Versioned("k", 5, "poison"), Upsert, Ct));

        Assert.Equal(DocumentValidationFailure, stale.WriteError.Code);
        Assert.Equal(Versioned("k", 9), await collection.Find(Filter("k")).SingleAsync(Ct));
    }

    [Fact]
    public async Task FindOneAndUpdate_or_Replace_that_fails_validation_is_command_error_121()
    {
        var collection = await CreateAsync(NoPoison);
        await collection.InsertOneAsync(Versioned("f", 1), cancellationToken: Ct);

        var update = await Assert.ThrowsAsync<MongoCommandException>(() =>
            collection.FindOneAndUpdateAsync(Filter("f"), Builders<BsonDocument>.Update.Set("payload", "poison"), cancellationToken: Ct));
        var upsert = await Assert.ThrowsAsync<MongoCommandException>(() => collection.FindOneAndReplaceAsync(
            Filter("g"), Versioned("g", 1, "poison"), new FindOneAndReplaceOptions<BsonDocument> { IsUpsert = true }, Ct));

        Assert.Equal((DocumentValidationFailure, DocumentValidationFailure), (update.Code, upsert.Code));
        Assert.Equal("f", update.Result["errInfo"]["failingDocumentId"].AsString);
        Assert.Equal(["f"], await IdsAsync(collection));
    }

    [Fact]
    public async Task CollMod_replaces_the_validator_for_later_writes_and_needs_an_existing_collection()
    {
        var collection = await CreateAsync(BsonDocument.Parse("{ payload: { $exists: true } }"));
        string name = collection.CollectionNamespace.CollectionName;
        await collection.InsertOneAsync(new BsonDocument { { "_id", "old" }, { "payload", 1 } }, cancellationToken: Ct);

        await fixture.Database.RunCommandAsync<BsonDocument>(
            new BsonDocument { { "collMod", name }, { "validator", BsonDocument.Parse("{ flag: true }") } }, cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.InsertOneAsync(new BsonDocument { { "_id", "noFlag" }, { "payload", 1 } }, cancellationToken: Ct));
        await collection.InsertOneAsync(new BsonDocument { { "_id", "noPayload" }, { "flag", true } }, cancellationToken: Ct);
        var missing = await Assert.ThrowsAsync<MongoCommandException>(() => fixture.Database.RunCommandAsync<BsonDocument>(
            new BsonDocument { { "collMod", $"missing_{Guid.NewGuid():N}" }, { "validator", NoPoison } }, cancellationToken: Ct));

        Assert.Equal(DocumentValidationFailure, refused.WriteError.Code);
        Assert.Equal(26, missing.Code); // NamespaceNotFound
        Assert.Equal(["noPayload", "old"], await IdsAsync(collection)); // stored documents are not re-checked
    }

    [Fact]
    public async Task Creating_an_existing_collection_is_NamespaceExists()
    {
        // Different options each time: MongoDB 7.0 accepts a repeated create with identical
        // options, 6.0 (what the wire server mimics) refuses any repeat; both refuse this.
        var collection = await CreateAsync(NoPoison);
        string name = collection.CollectionNamespace.CollectionName;
        IMongoCollection<BsonDocument> implicitlyCreated = fixture.NewCollection();
        await implicitlyCreated.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);

        var again = await Assert.ThrowsAsync<MongoCommandException>(() => fixture.Database.CreateCollectionAsync(
            name, new CreateCollectionOptions<BsonDocument> { Validator = BsonDocument.Parse("{ other: 1 }") }, Ct));
        var afterInsert = await Assert.ThrowsAsync<MongoCommandException>(() => fixture.Database.CreateCollectionAsync(
            implicitlyCreated.CollectionNamespace.CollectionName, new CreateCollectionOptions<BsonDocument> { Validator = NoPoison }, Ct));

        Assert.Equal((48, 48), (again.Code, afterInsert.Code));
        Assert.Equal("NamespaceExists", again.CodeName);
    }

    [Fact]
    public async Task Validators_evaluate_ne_exists_type_in_nin_and_or_nor_on_dotted_paths_like_queries()
    {
        var collection = await CreateAsync(BsonDocument.Parse("""
            {
              '_cs.v': { $type: 'number' },
              payload: { $exists: true, $ne: 'poison' },
              kind: { $in: ['a', 'b', null] },
              tag: { $nin: ['x'] },
              $or: [ { 'meta.owner': { $type: ['string', 'objectId'] } }, { 'meta.owner': { $exists: false } } ],
              $nor: [ { state: 'deleted' } ]
            }
            """));
        (string Json, bool Valid)[] cases =
        [
            ("{ _id: 'plain', _cs: { v: 1 }, payload: 'p' }", true),
            ("{ _id: 'long', _cs: { v: NumberLong(2) }, payload: null, kind: 'b', meta: { owner: 'me' } }", true),
            ("{ _id: 'double', _cs: { v: 2.5 }, payload: [1], tag: 'y', meta: { owner: ObjectId('65a1b2c3d4e5f60718293a4b') } }", true),
            ("{ _id: 'noVersion', payload: 'p' }", false),
            ("{ _id: 'stringVersion', _cs: { v: '1' }, payload: 'p' }", false),
            ("{ _id: 'noPayload', _cs: { v: 1 } }", false),
            ("{ _id: 'poison', _cs: { v: 1 }, payload: 'poison' }", false),
            ("{ _id: 'poisonInArray', _cs: { v: 1 }, payload: ['ok', 'poison'] }", false),
            ("{ _id: 'kind', _cs: { v: 1 }, payload: 'p', kind: 'c' }", false),
            ("{ _id: 'tag', _cs: { v: 1 }, payload: 'p', tag: ['y', 'x'] }", false),
            ("{ _id: 'owner', _cs: { v: 1 }, payload: 'p', meta: { owner: 7 } }", false),
            ("{ _id: 'deleted', _cs: { v: 1 }, payload: 'p', state: 'deleted' }", false),
        ];

        var outcomes = new List<(string Id, bool Stored)>();
        foreach ((string json, bool _) in cases)
        {
            BsonDocument document = BsonDocument.Parse(json);
            Exception? error = await Record.ExceptionAsync(() => collection.InsertOneAsync(document, cancellationToken: Ct));
            Assert.True(error is null or MongoWriteException { WriteError.Code: DocumentValidationFailure }, $"{json}: {error}");
            outcomes.Add((document["_id"].AsString, error is null));
        }

        Assert.Equal(cases.Select(c => (BsonDocument.Parse(c.Json)["_id"].AsString, c.Valid)), outcomes);
    }

    [Fact]
    public async Task Type_matches_aliases_numbers_and_array_elements_like_MongoDB()
    {
        var collection = fixture.NewCollection();
        await collection.InsertManyAsync(
        [
            BsonDocument.Parse("{ _id: 'int', v: 1 }"),
            BsonDocument.Parse("{ _id: 'long', v: NumberLong(1) }"),
            BsonDocument.Parse("{ _id: 'double', v: 1.5 }"),
            BsonDocument.Parse("{ _id: 'decimal', v: NumberDecimal('1') }"),
            BsonDocument.Parse("{ _id: 'string', v: 's' }"),
            BsonDocument.Parse("{ _id: 'null', v: null }"),
            BsonDocument.Parse("{ _id: 'missing' }"),
            BsonDocument.Parse("{ _id: 'bool', v: false }"),
            BsonDocument.Parse("{ _id: 'oid', v: ObjectId('65a1b2c3d4e5f60718293a4b') }"),
            BsonDocument.Parse("{ _id: 'object', v: { w: 's' } }"),
            BsonDocument.Parse("{ _id: 'ints', v: [1, 2] }"),
            BsonDocument.Parse("{ _id: 'empty', v: [] }"),
        ], cancellationToken: Ct);

        async Task<string[]> Ids(string filter) =>
            (await collection.Find(BsonDocument.Parse(filter)).ToListAsync(Ct)).Select(d => d["_id"].AsString).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["int", "ints"], await Ids("{ v: { $type: 'int' } }"));
        Assert.Equal(["int", "ints"], await Ids("{ v: { $type: 16 } }"));
        Assert.Equal(["long"], await Ids("{ v: { $type: 'long' } }"));
        Assert.Equal(["double"], await Ids("{ v: { $type: 'double' } }"));
        Assert.Equal(["decimal", "double", "int", "ints", "long"], await Ids("{ v: { $type: 'number' } }"));
        Assert.Equal(["null", "string"], await Ids("{ v: { $type: ['string', 'null'] } }"));
        Assert.Equal(["bool"], await Ids("{ v: { $type: 'bool' } }"));
        Assert.Equal(["oid"], await Ids("{ v: { $type: 'objectId' } }"));
        Assert.Equal(["object"], await Ids("{ v: { $type: 'object' } }"));
        Assert.Equal(["object"], await Ids("{ 'v.w': { $type: 'string' } }"));
        Assert.Equal(["empty", "ints"], await Ids("{ v: { $type: 'array' } }"));
        Assert.Equal(["bool", "empty", "missing", "null", "object", "oid", "string"], await Ids("{ v: { $not: { $type: 'number' } } }"));

        var unknownAlias = await Assert.ThrowsAsync<MongoCommandException>(() => Ids("{ v: { $type: 'integer' } }"));
        Assert.Equal(2, unknownAlias.Code); // BadValue
    }

    [Fact]
    public async Task Level_off_and_bypassDocumentValidation_let_an_invalid_document_in()
    {
        var off = await CreateAsync(NoPoison, DocumentValidationLevel.Off);
        var strict = await CreateAsync(NoPoison, DocumentValidationLevel.Strict, DocumentValidationAction.Error);

        await off.InsertOneAsync(Versioned("a", 1, "poison"), cancellationToken: Ct);
        await strict.InsertOneAsync(Versioned("b", 1, "poison"), new InsertOneOptions { BypassDocumentValidation = true }, Ct);
        await strict.ReplaceOneAsync(Filter("c"), Versioned("c", 1, "poison"), new ReplaceOptions { IsUpsert = true, BypassDocumentValidation = true }, Ct);
        var enforced = await Assert.ThrowsAsync<MongoWriteException>(() => strict.InsertOneAsync(Versioned("d", 1, "poison"), cancellationToken: Ct));

        Assert.Equal(["a"], await IdsAsync(off));
        Assert.Equal(["b", "c"], await IdsAsync(strict));
        Assert.Equal(DocumentValidationFailure, enforced.WriteError.Code);
    }

    [Fact]
    public async Task Drop_removes_the_validator_with_the_collection()
    {
        var collection = await CreateAsync(NoPoison);

        await fixture.Database.DropCollectionAsync(collection.CollectionNamespace.CollectionName, Ct);
        await collection.InsertOneAsync(Versioned("after", 1, "poison"), cancellationToken: Ct); // implicitly re-created

        Assert.Equal(["after"], await IdsAsync(collection));
    }

    [Fact]
    public async Task ListCollections_shows_the_validator()
    {
        var collection = await CreateAsync(NoPoison);
        string name = collection.CollectionNamespace.CollectionName;

        BsonDocument info = await (await fixture.Database.ListCollectionsAsync(
            new ListCollectionsOptions { Filter = new BsonDocument("name", name) }, Ct)).SingleAsync(Ct);

        Assert.Equal(NoPoison, info["options"]["validator"]);
    }

    [Fact]
    public async Task A_duplicate_id_names_the_id_index_and_its_key_pattern()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);

        // The raw reply, because the driver keeps only errInfo of a write error, not keyPattern/keyValue.
        BsonDocument reply = await fixture.Database.RunCommandAsync<BsonDocument>(new BsonDocument
        {
            { "insert", collection.CollectionNamespace.CollectionName },
            { "documents", new BsonArray { new BsonDocument("_id", 1) } },
        }, cancellationToken: Ct);
        var viaDriver = await Assert.ThrowsAsync<MongoWriteException>(() =>
            collection.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct));

        BsonDocument writeError = reply["writeErrors"][0].AsBsonDocument;
        Assert.Equal(11000, writeError["code"].ToInt32());
        Assert.Contains("index: _id_ dup key", writeError["errmsg"].AsString, StringComparison.Ordinal);
        Assert.Equal(new BsonDocument("_id", 1), writeError["keyPattern"]);
        Assert.Equal(new BsonDocument("_id", 1), writeError["keyValue"]);
        Assert.Contains("index: _id_", viaDriver.WriteError.Message, StringComparison.Ordinal);
    }
}
