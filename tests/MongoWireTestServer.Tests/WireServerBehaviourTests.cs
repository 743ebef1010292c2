using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// What only the wire test server does: stop/start with data kept, response delays, counters,
/// and its documented refusals. Each test owns a private server.
/// </summary>
public sealed class WireServerBehaviourTests : IAsyncLifetime
{
    private readonly MongoWireServer _server = new();
    private MongoClient _client = null!;
    private IMongoCollection<BsonDocument> _collection = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _server.StartAsync();
        _client = new MongoClient(_server.ConnectionString);
        _collection = _client.GetDatabase("wire").GetCollection<BsonDocument>("docs");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Stop_makes_operations_fail_and_start_on_the_same_port_serves_the_same_data()
    {
        var document = new BsonDocument { { "_id", "k" }, { "v", 1 } };
        await _collection.InsertOneAsync(document, cancellationToken: Ct);
        int port = _server.Port;

        await _server.StopAsync();
        Assert.False(_server.IsRunning);
        Assert.Equal(0, _server.OpenConnectionCount);
        Exception? failure = await Record.ExceptionAsync(() => _collection.Find(new BsonDocument("_id", "k")).FirstOrDefaultAsync(Ct));

        await _server.StartAsync(port);
        BsonDocument back = await _collection.Find(new BsonDocument("_id", "k")).FirstOrDefaultAsync(Ct);

        // A pooled connection that was cut gives MongoConnectionException; once the driver has
        // marked the server down, server selection times out (2 s in ConnectionString).
        Assert.True(failure is MongoConnectionException or TimeoutException, $"unexpected: {failure}");
        Assert.Equal(port, _server.Port);
        Assert.Equal(document, back);
    }

    [Fact]
    public async Task Restart_without_a_port_reuses_the_previous_one()
    {
        int port = _server.Port;
        await _server.StopAsync();
        await _server.StartAsync();
        Assert.Equal(port, _server.Port);
        Assert.Equal(0, await _collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task ResponseDelay_lets_a_short_deadline_cancel_the_call_but_not_the_handshake()
    {
        await _collection.InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct); // connect first
        _server.ResponseDelay = TimeSpan.FromSeconds(3);
        var clock = Stopwatch.StartNew();

        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            deadline.CancelAfter(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                _collection.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(deadline.Token));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
        clock.Restart();
        await _client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: Ct);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"ping was delayed: {clock.Elapsed}");

        _server.ResponseDelay = TimeSpan.Zero;
        Assert.Equal(1, await _collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task Commands_are_counted_and_observable()
    {
        var seen = new List<string>();
        _server.CommandReceived = command => { lock (seen) { seen.Add(command.GetElement(0).Name); } };
        await _collection.InsertManyAsync(Enumerable.Range(0, 150).Select(i => new BsonDocument("_id", i)), cancellationToken: Ct);

        List<BsonDocument> all = await _collection.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(Ct);

        Assert.Equal(150, all.Count);
        Assert.Equal(1, _server.CommandCount("insert"));
        Assert.Equal(1, _server.CommandCount("find"));
        Assert.Equal(1, _server.CommandCount("getMore")); // first batch is 101, like mongod
        Assert.True(_server.CommandCount("isMaster") >= 1);
        lock (seen)
        {
            Assert.Equal(["insert", "find", "getMore"], seen.Where(n => n is not ("hello" or "isMaster")));
        }
    }

    [Fact]
    public async Task Unknown_commands_and_operators_are_errors_not_silent_mismatches()
    {
        IMongoDatabase database = _client.GetDatabase("wire");

        var unknownCommand = await Assert.ThrowsAsync<MongoCommandException>(() =>
            database.RunCommandAsync<BsonDocument>(new BsonDocument { { "distinct", "docs" }, { "key", "a" } }, cancellationToken: Ct));
        var unknownOperator = await Assert.ThrowsAsync<MongoCommandException>(() =>
            _collection.Find(new BsonDocument("name", new BsonDocument("$regex", "^a"))).ToListAsync(Ct));
        var unknownModifier = await Assert.ThrowsAsync<MongoWriteException>(() =>
            _collection.UpdateOneAsync(new BsonDocument("_id", 1), new BsonDocument("$push", new BsonDocument("a", 1)), new UpdateOptions { IsUpsert = true }, Ct));

        var positional = await Assert.ThrowsAsync<MongoWriteException>(() =>
            _collection.UpdateOneAsync(new BsonDocument("_id", 1), new BsonDocument("$set", new BsonDocument("a.$.b", 1)), new UpdateOptions { IsUpsert = true }, Ct));

        Assert.Equal(59, unknownCommand.Code);
        Assert.Equal(2, positional.WriteError.Code);
        Assert.Equal(2, unknownOperator.Code);
        Assert.Equal(2, unknownModifier.WriteError.Code);
    }

    [Fact]
    public async Task An_inserted_document_with_a_top_level_dollar_field_is_refused_for_storage()
    {
        // MongoDB 5.0+ would store this insert; the test server refuses it so the product can
        // exercise its "store refused the document" path through a plain insert too.
        var error = await Assert.ThrowsAsync<MongoWriteException>(() =>
            _collection.InsertOneAsync(new BsonDocument { { "_id", "x" }, { "$bad", 1 } }, cancellationToken: Ct));

        Assert.Equal(52, error.WriteError.Code);
        Assert.Contains("'$bad'", error.WriteError.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: Ct));
    }

    [Fact]
    public async Task Unacknowledged_writes_are_applied_without_a_reply()
    {
        IMongoCollection<BsonDocument> fireAndForget = _collection.WithWriteConcern(WriteConcern.Unacknowledged);

        await fireAndForget.InsertOneAsync(new BsonDocument("_id", "w0"), cancellationToken: Ct);

        // No reply means no ordering guarantee with the next read on another connection: poll briefly.
        var clock = Stopwatch.StartNew();
        while (await _collection.CountDocumentsAsync(new BsonDocument("_id", "w0"), cancellationToken: Ct) == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "unacknowledged insert never applied");
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task A_second_create_of_the_same_collection_is_NamespaceExists()
    {
        IMongoDatabase database = _client.GetDatabase("wire");
        await database.CreateCollectionAsync("made", cancellationToken: Ct);

        var again = await Assert.ThrowsAsync<MongoCommandException>(() => database.CreateCollectionAsync("made", cancellationToken: Ct));

        // MongoDB 6.0's answer; 7.0 would accept this repeat because the options are identical.
        Assert.Equal(48, again.Code);
        Assert.Equal("Collection already exists. NS: wire.made", again.ErrorMessage);
    }

    [Fact]
    public async Task Create_refuses_validation_options_it_does_not_implement_and_then_creates_nothing()
    {
        IMongoDatabase database = _client.GetDatabase("wire");
        var validator = BsonDocument.Parse("{ payload: { $ne: 'poison' } }");

        async Task<MongoCommandException> Refused(BsonDocument options) =>
            await Assert.ThrowsAsync<MongoCommandException>(() => database.RunCommandAsync<BsonDocument>(
                new BsonDocument("create", "refused").AddRange(options), cancellationToken: Ct));

        var moderate = await Refused(new BsonDocument { { "validator", validator }, { "validationLevel", "moderate" } });
        var warn = await Refused(new BsonDocument { { "validator", validator }, { "validationAction", "warn" } });
        var capped = await Refused(new BsonDocument { { "capped", true }, { "size", 4096 } });
        // Built by hand: BsonDocument.Parse would read {$regex: ...} as a regex value, which the server compares by equality.
        var regex = await Refused(new BsonDocument("validator", new BsonDocument("name", new BsonDocument("$regex", "^a"))));
        var jsonSchema = await Refused(new BsonDocument("validator", BsonDocument.Parse("{ $jsonSchema: { required: ['a'] } }")));
        var notADocument = await Refused(new BsonDocument("validator", "payload"));

        Assert.All(new[] { moderate, warn, capped, regex, jsonSchema }, e => Assert.Equal(2, e.Code));
        Assert.Contains("'moderate' is not supported", moderate.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(14, notADocument.Code); // TypeMismatch
        Assert.DoesNotContain("refused", await (await database.ListCollectionNamesAsync(cancellationToken: Ct)).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_validation_failure_explains_the_failed_top_level_clauses_in_an_abridged_form()
    {
        // Not compared with a real MongoDB, whose details also carry reasons and considered values.
        IMongoDatabase database = _client.GetDatabase("wire");
        await database.CreateCollectionAsync("validated", new CreateCollectionOptions<BsonDocument>
        {
            Validator = BsonDocument.Parse("{ a: { $exists: true }, b: { $type: 'string', $ne: 'x' }, c: 1 }"),
        }, Ct);

        var error = await Assert.ThrowsAsync<MongoWriteException>(() => database.GetCollection<BsonDocument>("validated")
            .InsertOneAsync(BsonDocument.Parse("{ _id: 7, a: 1, b: 'x', c: 2 }"), cancellationToken: Ct));

        Assert.Equal(
            BsonDocument.Parse("""
                {
                  failingDocumentId: 7,
                  details: {
                    operatorName: '$and',
                    clausesNotSatisfied: [
                      { index: 1, details: { operatorName: '$ne', specifiedAs: { b: { $type: 'string', $ne: 'x' } } } },
                      { index: 2, details: { operatorName: '$eq', specifiedAs: { c: 1 } } }
                    ]
                  }
                }
                """),
            error.WriteError.Details);
    }

    [Fact]
    public async Task Starting_twice_is_an_error()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _server.StartAsync());
    }
}
