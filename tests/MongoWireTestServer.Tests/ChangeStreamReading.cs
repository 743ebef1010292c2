using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>Reading a change stream in tests: bounded, and failing with what was read so far.</summary>
internal static class ChangeStreamReading
{
    /// <summary>How long a test waits for events it expects; generous, since it only bounds a failure.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ShortAwait = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Short server-side awaits, so an empty batch (and with it a fresh post-batch resume token) comes
    /// back quickly. Tests never depend on how long a getMore waited.
    /// </summary>
    public static ChangeStreamOptions Options(int? batchSize = null) =>
        new() { MaxAwaitTime = ShortAwait, BatchSize = batchSize };

    public static ChangeStreamOptions ResumingAfter(BsonDocument token) =>
        new() { MaxAwaitTime = ShortAwait, ResumeAfter = token };

    public static ChangeStreamOptions StartingAfter(BsonDocument token) =>
        new() { MaxAwaitTime = ShortAwait, StartAfter = token };

    public static ChangeStreamOptions StartingAt(BsonTimestamp operationTime) =>
        new() { MaxAwaitTime = ShortAwait, StartAtOperationTime = operationTime };

    /// <summary>Inserts <c>{_id: first}</c> … <c>{_id: first + count - 1}</c> in one command.</summary>
    public static Task InsertIdsAsync(
        IMongoCollection<BsonDocument> collection, int first, int count, CancellationToken cancellationToken) =>
        collection.InsertManyAsync(Enumerable.Range(first, count).Select(i => new BsonDocument("_id", i)),
            cancellationToken: cancellationToken);

    /// <summary>Reads batches until exactly <paramref name="count"/> events arrived (more is a failure).</summary>
    public static async Task<List<ChangeStreamDocument<BsonDocument>>> ReadAsync(
        IChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor, int count, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Patience);
        var events = new List<ChangeStreamDocument<BsonDocument>>();
        try
        {
            while (events.Count < count)
            {
                bool open = await cursor.MoveNextAsync(deadline.Token);
                Assert.True(open, $"the stream closed after {events.Count} events");
                events.AddRange(cursor.Current);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"only {events.Count} of {count} change events arrived within {Patience.TotalSeconds} s: "
                + string.Join(", ", events.Select(e => e.BackingDocument.ToJson())));
        }

        Assert.True(events.Count == count,
            $"expected {count} events, got {events.Count}: {string.Join(", ", events.Select(e => e.OperationType))}");
        return events;
    }

    /// <summary>One more batch (after the server's short await) holds nothing: no extra or duplicated event.</summary>
    public static async Task AssertNoMoreAsync(
        IChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor, CancellationToken cancellationToken)
    {
        Assert.True(await cursor.MoveNextAsync(cancellationToken));
        Assert.Empty(cursor.Current.Select(e => e.BackingDocument.ToJson()));
    }

    /// <summary>The <c>_id</c> of each event's document, for comparing sequences of events.</summary>
    public static BsonValue[] Keys(IEnumerable<ChangeStreamDocument<BsonDocument>> events) =>
        events.Select(e => e.DocumentKey["_id"]).ToArray();

    /// <summary>Resume tokens are hex strings that sort in commit order (true of MongoDB's too).</summary>
    public static string Data(BsonDocument resumeToken) => resumeToken["_data"].AsString;
}
