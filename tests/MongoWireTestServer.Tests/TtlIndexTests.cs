using Microsoft.Extensions.Time.Testing;
using MongoDB.Bson;
using MongoDB.Driver;
using Change = MongoDB.Driver.ChangeStreamDocument<MongoDB.Bson.BsonDocument>;
using static CacheSidecar.Testing.MongoWire.Tests.ChangeStreamReading;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// TTL indexes: recorded and listed like on MongoDB (fixture target), and expired by the wire server's
/// TTL monitor, on a fake clock where the test needs to control "now".
/// </summary>
public sealed class TtlIndexTests(MongoTargetFixture fixture)
{
    private static readonly CreateIndexOptions OneMinute = new() { ExpireAfter = TimeSpan.FromMinutes(1) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A TTL index on <c>expiresAt</c>: documents go one minute after that date.</summary>
    private static CreateIndexModel<BsonDocument> ExpiresOneMinuteAfter =>
        new(Builders<BsonDocument>.IndexKeys.Ascending("expiresAt"), OneMinute);

    [Fact]
    public async Task ListIndexes_shows_expireAfterSeconds()
    {
        var collection = fixture.NewCollection();

        string name = await collection.Indexes.CreateOneAsync(ExpiresOneMinuteAfter, cancellationToken: Ct);
        List<BsonDocument> indexes = await (await collection.Indexes.ListAsync(Ct)).ToListAsync(Ct);

        BsonDocument ttl = Assert.Single(indexes, i => i["name"] == name);
        Assert.Equal(60, ttl["expireAfterSeconds"].ToDouble());
        Assert.Equal(new BsonDocument("expiresAt", 1), ttl["key"]);
    }

    [Fact]
    public async Task A_pass_deletes_what_expired_by_the_fake_clock_each_as_a_delete_event()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = new MongoWireServer(clock) { TtlMonitorInterval = Timeout.InfiniteTimeSpan };
        await server.StartAsync();
        using var client = new MongoClient(server.ConnectionString);
        var collection = client.GetDatabase("wire").GetCollection<BsonDocument>("ttl");
        await collection.Indexes.CreateOneAsync(ExpiresOneMinuteAfter, cancellationToken: Ct);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        BsonDateTime At(TimeSpan offset) => new(now + offset);
        BsonDocument Expiring(string id, BsonValue expiresAt) => new() { { "_id", id }, { "expiresAt", expiresAt } };
        await collection.InsertManyAsync(
        [
            Expiring("old", At(TimeSpan.FromMinutes(-2))),
            Expiring("fresh", At(TimeSpan.Zero)),
            Expiring("earliest-counts", new BsonArray { At(TimeSpan.FromHours(1)), At(TimeSpan.FromMinutes(-5)) }),
            Expiring("all-later", new BsonArray { At(TimeSpan.FromHours(1)), At(TimeSpan.FromHours(2)) }),
            Expiring("not-a-date", now.ToString("O")),
            new BsonDocument("_id", "missing"),
        ], cancellationToken: Ct);
        using var cursor = await collection.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));

        int first = server.RunTtlMonitorPass();
        int again = server.RunTtlMonitorPass();
        clock.Advance(TimeSpan.FromMinutes(1)); // "fresh" is now exactly expireAfterSeconds old
        int later = server.RunTtlMonitorPass();

        Assert.Equal((2, 0, 1), (first, again, later));
        List<Change> deletes = await ReadAsync(cursor, 3, Ct);
        Assert.All(deletes, e => Assert.Equal(ChangeStreamOperationType.Delete, e.OperationType));
        Assert.Equal(["old", "earliest-counts", "fresh"], Keys(deletes).Select(k => k.AsString));
        Assert.Equal(clock.GetUtcNow().UtcDateTime, deletes[2].WallTime); // change events use the server's clock
        List<BsonDocument> left = await collection.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(Ct);
        Assert.Equal(["all-later", "not-a-date", "missing"], left.Select(d => d["_id"].AsString));
    }

    [Fact]
    public async Task The_monitor_runs_when_the_fake_clock_passes_its_interval()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = new MongoWireServer(clock);
        await server.StartAsync(); // the monitor now waits for one second of fake time
        using var client = new MongoClient(server.ConnectionString);
        var collection = client.GetDatabase("wire").GetCollection<BsonDocument>("ttl");
        await collection.Indexes.CreateOneAsync(ExpiresOneMinuteAfter, cancellationToken: Ct);
        await collection.InsertOneAsync(
            new BsonDocument { { "_id", "expired" }, { "expiresAt", clock.GetUtcNow().UtcDateTime.AddHours(-1) } },
            cancellationToken: Ct);
        using var cursor = await collection.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));

        Assert.Equal(TimeSpan.FromSeconds(1), server.TtlMonitorInterval);
        clock.Advance(TimeSpan.FromSeconds(1));

        Change deleted = Assert.Single(await ReadAsync(cursor, 1, Ct));
        Assert.Equal(ChangeStreamOperationType.Delete, deleted.OperationType);
        Assert.Equal("expired", deleted.DocumentKey["_id"].AsString);
    }

    [Fact]
    public async Task On_the_system_clock_the_monitor_expires_documents_by_itself()
    {
        await using MongoTestTarget target = await MongoTestEndpoint.AcquireWireServerAsync();
        MongoWireServer server = target.WireServer!;
        server.TtlMonitorInterval = TimeSpan.FromMilliseconds(50);
        using var client = new MongoClient(server.ConnectionString);
        var collection = client.GetDatabase("wire").GetCollection<BsonDocument>("ttl");
        using var cursor = await collection.WatchAsync(Options(), Ct);
        Assert.True(await cursor.MoveNextAsync(Ct));

        var expired = new BsonDocument { { "_id", "expired" }, { "expiresAt", DateTime.UtcNow.AddHours(-1) } };
        await collection.InsertOneAsync(expired, cancellationToken: Ct);
        await collection.Indexes.CreateOneAsync(ExpiresOneMinuteAfter, cancellationToken: Ct);

        List<Change> events = await ReadAsync(cursor, 2, Ct);
        Assert.Equal(
            [ChangeStreamOperationType.Insert, ChangeStreamOperationType.Delete], events.Select(e => e.OperationType));
        Assert.Empty(await collection.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(Ct));
    }

    [Fact]
    public async Task ExpireAfterSeconds_is_refused_on_the_id_index_and_when_out_of_range()
    {
        await using MongoTestTarget target = await MongoTestEndpoint.AcquireWireServerAsync();
        using var client = new MongoClient(target.ConnectionString);
        IMongoDatabase database = client.GetDatabase("wire");

        async Task<MongoCommandException> Refused(string indexes) =>
            await Assert.ThrowsAsync<MongoCommandException>(() => database.RunCommandAsync<BsonDocument>(
                BsonDocument.Parse($"{{ createIndexes: 'ttl', indexes: {indexes} }}"), cancellationToken: Ct));

        var onId = await Refused("[ { key: { _id: 1 }, name: 'id_ttl', expireAfterSeconds: 10 } ]");
        var negative = await Refused("[ { key: { at: 1 }, name: 'at_1', expireAfterSeconds: -1 } ]");
        var text = await Refused("[ { key: { at: 1 }, name: 'at_1', expireAfterSeconds: 'soon' } ]");

        Assert.Equal(197, onId.Code); // InvalidIndexSpecificationOption
        Assert.Equal((67, 67), (negative.Code, text.Code)); // CannotCreateIndex
    }
}
