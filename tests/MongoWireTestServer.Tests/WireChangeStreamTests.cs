using MongoDB.Bson;
using MongoDB.Driver;
using Change = MongoDB.Driver.ChangeStreamDocument<MongoDB.Bson.BsonDocument>;
using static CacheSidecar.Testing.MongoWire.Tests.ChangeStreamReading;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// Change streams where only the wire test server can set the scene: stopping it mid-watch, losing
/// history, watching what the driver sends. Each test owns a private server.
/// </summary>
public sealed class WireChangeStreamTests : IAsyncLifetime
{
    private MongoTestTarget _target = null!;
    private MongoWireServer _server = null!;

    // The watcher uses the driver's default 30 s server selection, so a resume can outlast a restart.
    private MongoClient _watcher = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IMongoCollection<BsonDocument> Watched => Collection(_watcher);

    public async ValueTask InitializeAsync()
    {
        _target = await MongoTestEndpoint.AcquireWireServerAsync();
        _server = _target.WireServer!;
        _watcher = new MongoClient(_server.PlainConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        _watcher.Dispose();
        await _target.DisposeAsync();
    }

    [Fact]
    public async Task A_waiting_getMore_answers_as_soon_as_a_write_commits()
    {
        var options = new ChangeStreamOptions { MaxAwaitTime = TimeSpan.FromMinutes(1) };
        using var cursor = await Watched.WatchAsync(options, Ct);
        Assert.True(await cursor.MoveNextAsync(Ct)); // the aggregate's (empty) first batch
        var getMoreArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.CommandReceived = c =>
        {
            if (c.GetElement(0).Name == "getMore")
            {
                getMoreArrived.TrySetResult();
            }
        };

        Task<bool> next = cursor.MoveNextAsync(Ct);
        await getMoreArrived.Task.WaitAsync(Patience, Ct);

        // Another connection writes while the getMore waits: the store is not held by the wait.
        using (var writer = new MongoClient(_server.ConnectionString))
        {
            await Collection(writer).InsertOneAsync(new BsonDocument("_id", "woken"), cancellationToken: Ct);
        }

        // Bounded far below the one-minute await: the write woke the getMore.
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal("woken", Assert.Single(cursor.Current).DocumentKey["_id"].AsString);
        Assert.Equal(1, _server.CommandCount("getMore"));
    }

    [Fact]
    public async Task Aggregate_and_getMore_replies_carry_a_cursor_and_a_fresh_post_batch_resume_token()
    {
        IMongoDatabase database = _watcher.GetDatabase("wire");
        BsonDocument opened = await database.RunCommandAsync<BsonDocument>(BsonDocument.Parse(
            "{ aggregate: 'watched', pipeline: [ { $changeStream: {} } ], cursor: {} }"), cancellationToken: Ct);
        long cursorId = opened["cursor"]["id"].ToInt64();
        await database.GetCollection<BsonDocument>("elsewhere")
            .InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);

        BsonDocument empty = await database.RunCommandAsync<BsonDocument>(new BsonDocument
        {
            { "getMore", cursorId }, { "collection", "watched" }, { "maxTimeMS", 10 },
        }, cancellationToken: Ct);
        BsonDocument killed = await database.RunCommandAsync<BsonDocument>(BsonDocument.Parse(
            $"{{ killCursors: 'watched', cursors: [ NumberLong({cursorId}) ] }}"), cancellationToken: Ct);
        var gone = await Assert.ThrowsAsync<MongoCommandException>(() => database.RunCommandAsync<BsonDocument>(
            new BsonDocument { { "getMore", cursorId }, { "collection", "watched" } }, cancellationToken: Ct));

        BsonDocument first = opened["cursor"].AsBsonDocument;
        Assert.Equal(["firstBatch", "postBatchResumeToken", "id", "ns"], first.Names);
        Assert.Empty(first["firstBatch"].AsBsonArray);
        Assert.NotEqual(0, cursorId);
        Assert.Equal("wire.watched", first["ns"].AsString);
        BsonDocument next = empty["cursor"].AsBsonDocument;
        Assert.Empty(next["nextBatch"].AsBsonArray);
        Assert.Equal(cursorId, next["id"].ToInt64()); // a change stream cursor stays open
        Assert.True(string.CompareOrdinal(Data(next["postBatchResumeToken"].AsBsonDocument),
            Data(first["postBatchResumeToken"].AsBsonDocument)) > 0);
        Assert.Equal([cursorId], killed["cursorsKilled"].AsBsonArray.Select(v => v.ToInt64()));
        Assert.Equal(43, gone.Code);
    }

    [Fact]
    public async Task A_restart_between_getMores_loses_and_duplicates_nothing()
    {
        using var cursor = await Watched.WatchAsync(Options(batchSize: 2), Ct);
        await InsertIdsAsync(Watched, 1, 5, Ct);
        List<Change> before = await ReadAsync(cursor, 2, Ct);

        await _server.StopAsync();
        await _server.StartAsync();
        await InsertWithFreshClientAsync(6);
        List<Change> after = await ReadAsync(cursor, 4, Ct);

        Assert.Equal([1, 2], Keys(before).Select(k => k.AsInt32));
        Assert.Equal([3, 4, 5, 6], Keys(after).Select(k => k.AsInt32));
        await AssertNoMoreAsync(cursor, Ct);
        Assert.Equal(2, _server.CommandCount("aggregate")); // the driver resumed once, by itself
    }

    [Fact]
    public async Task A_restart_during_a_waiting_getMore_loses_and_duplicates_nothing()
    {
        var options = new ChangeStreamOptions { MaxAwaitTime = TimeSpan.FromSeconds(30) };
        using var cursor = await Watched.WatchAsync(options, Ct);
        await InsertIdsAsync(Watched, 1, 3, Ct);
        List<Change> before = await ReadAsync(cursor, 3, Ct);
        int getMores = _server.CommandCount("getMore");
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.CommandReceived = c =>
        {
            if (c.GetElement(0).Name == "getMore")
            {
                waiting.TrySetResult();
            }
        };

        Task<List<Change>> rest = ReadAsync(cursor, 2, Ct);
        await waiting.Task.WaitAsync(Patience, Ct);
        await _server.StopAsync(); // cuts the connection the getMore waits on
        await _server.StartAsync();
        await InsertWithFreshClientAsync(4);
        await InsertWithFreshClientAsync(5);

        Assert.Equal([1, 2, 3], Keys(before).Select(k => k.AsInt32));
        Assert.Equal([4, 5], Keys(await rest).Select(k => k.AsInt32));
        Assert.True(_server.CommandCount("getMore") > getMores);
        Assert.Equal(2, _server.CommandCount("aggregate"));
    }

    [Fact]
    public async Task After_ForgetChangeHistory_resuming_from_an_old_token_is_ChangeStreamHistoryLost()
    {
        await Watched.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);
        using var cursor = await Watched.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));
        BsonDocument caughtUp = cursor.GetResumeToken();
        await Watched.InsertOneAsync(new BsonDocument("_id", 2), cancellationToken: Ct);
        BsonDocument newest = (await ReadAsync(cursor, 1, Ct))[0].ResumeToken;

        _server.ForgetChangeHistory();

        var lost = await Assert.ThrowsAsync<MongoCommandException>(() =>
            Watched.WatchAsync(new ChangeStreamOptions { ResumeAfter = caughtUp }, Ct));
        Assert.Equal(286, lost.Code);
        Assert.Equal("ChangeStreamHistoryLost", lost.CodeName);
        Assert.Equal("Resume of change stream was not possible, as the resume point may no longer be in the oplog.",
            lost.ErrorMessage);
        Assert.Equal(0, _server.ChangeEventCount);

        // Nothing happened after the newest event, so nothing was lost after it either.
        using var fromNewest = await Watched.WatchAsync(new ChangeStreamOptions { ResumeAfter = newest }, Ct);
        await Watched.InsertOneAsync(new BsonDocument("_id", 3), cancellationToken: Ct);
        Assert.Equal([3], Keys(await ReadAsync(fromNewest, 1, Ct)).Select(k => k.AsInt32));
    }

    [Fact]
    public async Task A_resume_across_a_restart_that_lost_the_history_fails_with_286_from_MoveNext()
    {
        using var cursor = await Watched.WatchAsync(Options(), Ct);
        await Watched.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);
        await ReadAsync(cursor, 1, Ct);
        await Watched.InsertOneAsync(new BsonDocument("_id", 2), cancellationToken: Ct); // not read yet

        await _server.StopAsync();
        _server.ForgetChangeHistory();
        await _server.StartAsync();

        var lost = await Assert.ThrowsAsync<MongoCommandException>(() => ReadAsync(cursor, 1, Ct));
        Assert.Equal(286, lost.Code);
    }

    [Fact]
    public async Task The_history_survives_a_restart()
    {
        using var cursor = await Watched.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));
        BsonDocument token = cursor.GetResumeToken();
        await Watched.InsertOneAsync(new BsonDocument("_id", "kept"), cancellationToken: Ct);

        await _server.StopAsync();
        await _server.StartAsync();
        using var resumed = await Watched.WatchAsync(new ChangeStreamOptions { ResumeAfter = token }, Ct);

        Assert.Equal(["kept"], Keys(await ReadAsync(resumed, 1, Ct)).Select(k => k.AsString));
    }

    [Fact]
    public async Task ChangeHistoryCapacity_keeps_only_the_newest_events()
    {
        Assert.Equal(100_000, _server.ChangeHistoryCapacity);
        using var reader = await Watched.WatchAsync(Options(), Ct);
        using var lagging = await Watched.WatchAsync(Options(), Ct);
        Assert.True(await lagging.MoveNextAsync(Ct)); // the empty first batch: it has read nothing
        await InsertIdsAsync(Watched, 1, 5, Ct);
        List<Change> events = await ReadAsync(reader, 5, Ct);

        _server.ChangeHistoryCapacity = 3; // events 1 and 2 go

        Assert.Equal(3, _server.ChangeEventCount);
        var fromFirst = await Assert.ThrowsAsync<MongoCommandException>(() =>
            Watched.WatchAsync(new ChangeStreamOptions { ResumeAfter = events[0].ResumeToken }, Ct));
        var lagged = await Assert.ThrowsAsync<MongoCommandException>(() => ReadAsync(lagging, 1, Ct));
        Assert.Equal((286, 286), (fromFirst.Code, lagged.Code));

        // Everything after event 2 is still there, and new events push the oldest out as they come.
        using var fromSecond = await Watched.WatchAsync(ResumingAfter(events[1].ResumeToken), Ct);
        Assert.Equal([3, 4, 5], Keys(await ReadAsync(fromSecond, 3, Ct)).Select(k => k.AsInt32));
        await Watched.InsertOneAsync(new BsonDocument("_id", 6), cancellationToken: Ct);
        Assert.Equal([6], Keys(await ReadAsync(fromSecond, 1, Ct)).Select(k => k.AsInt32));
        Assert.Equal(3, _server.ChangeEventCount);
    }

    [Fact]
    public async Task Tokens_this_server_never_issued_are_refused()
    {
        BsonDocument foreign;
        await using (var other = new MongoWireServer())
        {
            await other.StartAsync();
            using var client = new MongoClient(other.ConnectionString);
            using var cursor = await Collection(client).WatchAsync(cancellationToken: Ct);
            Assert.True(await cursor.MoveNextAsync(Ct));
            foreign = cursor.GetResumeToken();
        }

        using var own = await Watched.WatchAsync(Options(), Ct);
        Assert.True(await own.MoveNextAsync(Ct));
        string data = Data(own.GetResumeToken());
        var future = new BsonDocument("_data", string.Concat(data.AsSpan(0, 17), "9", data.AsSpan(18)));

        async Task<MongoCommandException> Refused(BsonDocument token) =>
            await Assert.ThrowsAsync<MongoCommandException>(() =>
                Watched.WatchAsync(new ChangeStreamOptions { ResumeAfter = token }, Ct));

        Assert.Equal(280, (await Refused(foreign)).Code); // ChangeStreamFatalError: not found here
        Assert.Equal(280, (await Refused(future)).Code);
        Assert.Equal(2, (await Refused(new BsonDocument("_data", "not hex"))).Code);
    }

    [Fact]
    public async Task Options_and_stages_the_server_cannot_honour_are_refused()
    {
        async Task<MongoCommandException> Refused(ChangeStreamOptions options, params BsonDocument[] stages) =>
            await Assert.ThrowsAsync<MongoCommandException>(() => Watched.WatchAsync(
                PipelineDefinition<Change, Change>.Create(stages),
                options,
                Ct));

        var beforeChange = await Refused(new ChangeStreamOptions
        {
            FullDocumentBeforeChange = ChangeStreamFullDocumentBeforeChangeOption.Required,
        });
        var postImage = await Refused(
            new ChangeStreamOptions { FullDocument = ChangeStreamFullDocumentOption.WhenAvailable });
        var group = await Refused(new ChangeStreamOptions(), BsonDocument.Parse("{ $group: { _id: 1 } }"));

        Assert.All(new[] { beforeChange, postImage, group }, e => Assert.Equal(2, e.Code));
        Assert.Contains("fullDocumentBeforeChange", beforeChange.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("whenAvailable", postImage.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("$group", group.ErrorMessage, StringComparison.Ordinal);
    }

    private static IMongoCollection<BsonDocument> Collection(MongoClient client) =>
        client.GetDatabase("wire").GetCollection<BsonDocument>("watched");

    /// <summary>A client made after the restart: an older one may still hold a connection the stop cut.</summary>
    private async Task InsertWithFreshClientAsync(int id)
    {
        using var writer = new MongoClient(_server.ConnectionString);
        await Collection(writer).InsertOneAsync(new BsonDocument("_id", id), cancellationToken: Ct);
    }
}
