using MongoDB.Bson;
using MongoDB.Driver;
using Change = MongoDB.Driver.ChangeStreamDocument<MongoDB.Bson.BsonDocument>;
using static CacheSidecar.Testing.MongoWire.Tests.ChangeStreamReading;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// Collection change streams through the real driver's <c>WatchAsync</c>, against whatever
/// <see cref="MongoTargetFixture"/> chose: nothing here uses a wire-server hook, so with
/// <c>MONGODB_URI</c> pointing at a replica set these assertions check the wire server against MongoDB.
/// </summary>
public sealed class ChangeStreamTests(MongoTargetFixture fixture) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BsonDocument Id(string id) => new("_id", id);

    public async ValueTask InitializeAsync() => await fixture.RequireChangeStreamsAsync(Ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Every_kind_of_write_is_an_event_shaped_like_MongoDBs()
    {
        var collection = fixture.NewCollection();
        using var cursor = await collection.WatchAsync(Options(), Ct);

        var inserted = BsonDocument.Parse("{ _id: 'a', n: 1, sub: { k: 1 }, gone: true }");
        await collection.InsertOneAsync(inserted, cancellationToken: Ct);
        await collection.UpdateOneAsync(Id("a"), BsonDocument.Parse(
            "{ $set: { n: 2, 'sub.k': 2, 'made.deep': 1 }, $unset: { gone: '' } }"), cancellationToken: Ct);
        await collection.ReplaceOneAsync(Id("a"), new BsonDocument("v", "replaced"), cancellationToken: Ct);
        await collection.UpdateOneAsync(Id("b"), BsonDocument.Parse("{ $set: { n: 1 } }"),
            new UpdateOptions { IsUpsert = true }, Ct);
        await collection.ReplaceOneAsync(Id("c"), new BsonDocument("w", 1), new ReplaceOptions { IsUpsert = true }, Ct);
        await collection.DeleteOneAsync(Id("a"), Ct);
        List<Change> events = await ReadAsync(cursor, 6, Ct);

        Assert.Equal(
            [
                ChangeStreamOperationType.Insert, ChangeStreamOperationType.Update, ChangeStreamOperationType.Replace,
                ChangeStreamOperationType.Insert, ChangeStreamOperationType.Insert, ChangeStreamOperationType.Delete,
            ],
            events.Select(e => e.OperationType));
        Assert.Equal(["a", "a", "a", "b", "c", "a"], Keys(events).Select(k => k.AsString));
        Assert.All(events, e =>
        {
            Assert.Equal(collection.CollectionNamespace, e.CollectionNamespace);
            Assert.Equal(new BsonDocument("_id", e.DocumentKey["_id"]), e.DocumentKey);
            Assert.NotNull(e.ClusterTime);
            Assert.NotNull(e.WallTime);
            Assert.True(e.ResumeToken["_data"].IsString, e.ResumeToken.ToJson());
        });
        Assert.Equal(events.Select(e => Data(e.ResumeToken)).Order(StringComparer.Ordinal),
            events.Select(e => Data(e.ResumeToken)));
        Assert.Equal(events.Select(e => e.ClusterTime).Order(), events.Select(e => e.ClusterTime));

        // Field by field as MongoDB sends them: fullDocument only on insert and replace.
        string[] deleteFields = ["_id", "operationType", "clusterTime", "wallTime", "ns", "documentKey"];
        string[] insertFields = [.. deleteFields, "fullDocument"];
        string[] updateFields = [.. deleteFields, "updateDescription"];
        Assert.Equal(insertFields.Order(), events[0].BackingDocument.Names.Order());
        Assert.Equal(updateFields.Order(), events[1].BackingDocument.Names.Order());
        Assert.Equal(insertFields.Order(), events[2].BackingDocument.Names.Order());
        Assert.Equal(deleteFields.Order(), events[5].BackingDocument.Names.Order());
        CollectionNamespace ns = collection.CollectionNamespace;
        Assert.Equal(
            new BsonDocument { { "db", ns.DatabaseNamespace.DatabaseName }, { "coll", ns.CollectionName } },
            events[0].BackingDocument["ns"]);

        Assert.Equal(inserted, events[0].FullDocument);
        Assert.Equal(BsonDocument.Parse("{ _id: 'a', v: 'replaced' }"), events[2].FullDocument);
        Assert.Equal(BsonDocument.Parse("{ _id: 'b', n: 1 }"), events[3].FullDocument);
        Assert.Equal(BsonDocument.Parse("{ _id: 'c', w: 1 }"), events[4].FullDocument);
        Assert.Null(events[1].FullDocument);
        Assert.Null(events[5].FullDocument);

        // A field set inside an existing document is reported by its path; a created one whole.
        ChangeStreamUpdateDescription update = events[1].UpdateDescription;
        Assert.Equal(BsonDocument.Parse("{ 'made': { deep: 1 }, n: 2, 'sub.k': 2 }"), Sorted(update.UpdatedFields));
        Assert.Equal(["gone"], update.RemovedFields);
        Assert.Empty(update.TruncatedArrays);
    }

    [Fact]
    public async Task FindAndModify_variants_are_insert_update_replace_and_delete_events()
    {
        var collection = fixture.NewCollection();
        using var cursor = await collection.WatchAsync(Options(), Ct);

        var increment = BsonDocument.Parse("{ $inc: { n: 1 } }");
        var upsert = new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true };
        await collection.FindOneAndUpdateAsync(Id("f"), increment, upsert, Ct);
        await collection.FindOneAndUpdateAsync(Id("f"), increment, cancellationToken: Ct);
        await collection.FindOneAndReplaceAsync(Id("f"), new BsonDocument("r", true), cancellationToken: Ct);
        await collection.FindOneAndDeleteAsync(Id("f"), cancellationToken: Ct);
        List<Change> events = await ReadAsync(cursor, 4, Ct);

        Assert.Equal(
            [
                ChangeStreamOperationType.Insert, ChangeStreamOperationType.Update,
                ChangeStreamOperationType.Replace, ChangeStreamOperationType.Delete,
            ],
            events.Select(e => e.OperationType));
        Assert.Equal(BsonDocument.Parse("{ _id: 'f', n: 1 }"), events[0].FullDocument);
        Assert.Equal(new BsonDocument("n", 2), events[1].UpdateDescription.UpdatedFields);
        Assert.Equal(BsonDocument.Parse("{ _id: 'f', r: true }"), events[2].FullDocument);
    }

    [Fact]
    public async Task A_match_on_operationType_passes_only_those_events()
    {
        var collection = fixture.NewCollection();
        var pipeline = new EmptyPipelineDefinition<Change>()
            .Match(BsonDocument.Parse("{ operationType: { $in: ['insert', 'delete'] } }"));
        using var cursor = await collection.WatchAsync(pipeline, Options(), Ct);

        await collection.InsertOneAsync(Id("a"), cancellationToken: Ct);
        await collection.UpdateOneAsync(Id("a"), BsonDocument.Parse("{ $set: { x: 1 } }"), cancellationToken: Ct);
        await collection.InsertOneAsync(Id("b"), cancellationToken: Ct);
        await collection.DeleteOneAsync(Id("a"), Ct);
        List<Change> events = await ReadAsync(cursor, 3, Ct);

        Assert.Equal(
            [ChangeStreamOperationType.Insert, ChangeStreamOperationType.Insert, ChangeStreamOperationType.Delete],
            events.Select(e => e.OperationType));
        Assert.Equal(["a", "b", "a"], Keys(events).Select(k => k.AsString));
        await AssertNoMoreAsync(cursor, Ct);
    }

    [Fact]
    public async Task A_typed_match_renders_to_something_the_server_runs()
    {
        var collection = fixture.NewCollection();
        var pipeline = new EmptyPipelineDefinition<Change>()
            .Match(c => c.OperationType == ChangeStreamOperationType.Update);
        using var cursor = await collection.WatchAsync(pipeline, Options(), Ct);

        await collection.InsertOneAsync(Id("a"), cancellationToken: Ct);
        await collection.UpdateOneAsync(Id("a"), BsonDocument.Parse("{ $set: { x: 1 } }"), cancellationToken: Ct);

        Change update = Assert.Single(await ReadAsync(cursor, 1, Ct));
        Assert.Equal(ChangeStreamOperationType.Update, update.OperationType);
    }

    [Fact]
    public async Task ResumeAfter_and_StartAfter_deliver_exactly_the_events_after_the_token()
    {
        var collection = fixture.NewCollection();
        using (var cursor = await collection.WatchAsync(Options(), Ct))
        {
            await InsertIdsAsync(collection, 1, 5, Ct);
            List<Change> all = await ReadAsync(cursor, 5, Ct);
            BsonDocument afterSecond = all[1].ResumeToken;

            using var resumed = await collection.WatchAsync(ResumingAfter(afterSecond), Ct);
            using var started = await collection.WatchAsync(StartingAfter(afterSecond), Ct);

            Assert.Equal([3, 4, 5], Keys(await ReadAsync(resumed, 3, Ct)).Select(k => k.AsInt32));
            Assert.Equal([3, 4, 5], Keys(await ReadAsync(started, 3, Ct)).Select(k => k.AsInt32));
            await AssertNoMoreAsync(resumed, Ct);
        }
    }

    [Fact]
    public async Task StartAtOperationTime_includes_the_event_at_that_time()
    {
        var collection = fixture.NewCollection();
        using var cursor = await collection.WatchAsync(Options(), Ct);
        await InsertIdsAsync(collection, 1, 4, Ct);
        List<Change> all = await ReadAsync(cursor, 4, Ct);

        using var fromThird = await collection.WatchAsync(StartingAt(all[2].ClusterTime), Ct);

        Assert.Equal([3, 4], Keys(await ReadAsync(fromThird, 2, Ct)).Select(k => k.AsInt32));
    }

    [Fact]
    public async Task The_post_batch_resume_token_advances_on_empty_batches_and_resumes_from_there()
    {
        var collection = fixture.NewCollection();
        var other = fixture.NewCollection();
        using var cursor = await collection.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));
        BsonDocument before = cursor.GetResumeToken();

        // Writes elsewhere move the stream's position although it has nothing to return.
        await other.InsertOneAsync(Id("elsewhere"), cancellationToken: Ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        BsonDocument after = before;
        while (after.Equals(before))
        {
            Assert.True(await cursor.MoveNextAsync(deadline.Token));
            Assert.Empty(cursor.Current);
            after = cursor.GetResumeToken();
        }

        Assert.True(string.CompareOrdinal(Data(after), Data(before)) > 0, $"{after} should sort after {before}");
        await collection.InsertOneAsync(Id("here"), cancellationToken: Ct);
        using var resumed = await collection.WatchAsync(ResumingAfter(after), Ct);
        Assert.Equal(["here"], Keys(await ReadAsync(resumed, 1, Ct)).Select(k => k.AsString));
    }

    [Fact]
    public async Task UpdateLookup_adds_the_current_document_to_update_events_or_null_once_deleted()
    {
        var collection = fixture.NewCollection();
        var options = Options();
        options.FullDocument = ChangeStreamFullDocumentOption.UpdateLookup;
        using var cursor = await collection.WatchAsync(options, Ct);

        await collection.InsertOneAsync(new BsonDocument { { "_id", "kept" }, { "n", 1 } }, cancellationToken: Ct);
        await collection.UpdateOneAsync(Id("kept"), BsonDocument.Parse("{ $set: { n: 2 } }"), cancellationToken: Ct);
        List<Change> first = await ReadAsync(cursor, 2, Ct);
        await collection.UpdateOneAsync(Id("kept"), BsonDocument.Parse("{ $set: { n: 3 } }"), cancellationToken: Ct);
        await collection.DeleteOneAsync(Id("kept"), Ct);
        List<Change> second = await ReadAsync(cursor, 2, Ct);

        Assert.Equal(BsonDocument.Parse("{ _id: 'kept', n: 2 }"), first[1].FullDocument);
        Assert.Equal(ChangeStreamOperationType.Update, second[0].OperationType);
        Assert.Null(second[0].FullDocument); // looked up after the delete
        Assert.Equal(BsonNull.Value, second[0].BackingDocument["fullDocument"]);
        Assert.Null(second[1].FullDocument);
    }

    [Fact]
    public async Task Dropping_the_collection_is_a_drop_then_an_invalidate_that_closes_the_stream()
    {
        var collection = fixture.NewCollection();
        await collection.InsertOneAsync(Id("x"), cancellationToken: Ct);
        using var cursor = await collection.WatchAsync(Options(), Ct);

        await collection.Database.DropCollectionAsync(collection.CollectionNamespace.CollectionName, Ct);
        List<Change> events = await ReadAsync(cursor, 2, Ct);

        ChangeStreamOperationType[] dropped = [ChangeStreamOperationType.Drop, ChangeStreamOperationType.Invalidate];
        Assert.Equal(dropped, events.Select(e => e.OperationType));
        Assert.Equal(collection.CollectionNamespace, events[0].CollectionNamespace);
        Assert.False(await cursor.MoveNextAsync(Ct));

        // Only startAfter may pass an invalidate: the new stream sees the collection's next life.
        BsonDocument invalidate = events[1].ResumeToken;
        var refused = await Assert.ThrowsAsync<MongoCommandException>(() =>
            collection.WatchAsync(new ChangeStreamOptions { ResumeAfter = invalidate }, Ct));
        Assert.Equal(260, refused.Code); // InvalidResumeToken
        using var next = await collection.WatchAsync(StartingAfter(invalidate), Ct);
        await collection.InsertOneAsync(Id("again"), cancellationToken: Ct);
        Assert.Equal(["again"], Keys(await ReadAsync(next, 1, Ct)).Select(k => k.AsString));
    }

    [Fact]
    public async Task A_project_stage_may_shape_events_but_not_drop_the_resume_token()
    {
        var collection = fixture.NewCollection();
        var slim = PipelineDefinition<Change, Change>.Create(
            BsonDocument.Parse("{ $project: { operationType: 1, documentKey: 1 } }"));
        var tokenless = PipelineDefinition<Change, Change>.Create(
            BsonDocument.Parse("{ $project: { _id: 0 } }"));
        using var slimCursor = await collection.WatchAsync(slim, Options(), Ct);
        using var tokenlessCursor = await collection.WatchAsync(tokenless, Options(), Ct);

        await collection.InsertOneAsync(Id("p"), cancellationToken: Ct);

        Change change = Assert.Single(await ReadAsync(slimCursor, 1, Ct));
        Assert.Equal(["_id", "documentKey", "operationType"], change.BackingDocument.Names.Order());
        var error = await Assert.ThrowsAsync<MongoCommandException>(() => ReadAsync(tokenlessCursor, 1, Ct));
        Assert.Equal(280, error.Code); // ChangeStreamFatalError
    }

    private static BsonDocument Sorted(BsonDocument document) =>
        new(document.OrderBy(e => e.Name, StringComparer.Ordinal));
}
