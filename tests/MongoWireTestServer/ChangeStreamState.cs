using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// An open collection-level change stream cursor: where it has read the history up to, and what it
/// does to each event. Read and changed only under the store lock.
/// </summary>
internal sealed class ChangeStreamState(
    string database, string collection, IReadOnlyList<BsonElement> stages, bool updateLookup, BsonTimestamp? startAt)
{
    public string Database { get; } = database;

    public string Collection { get; } = collection;

    public string Namespace => $"{Database}.{Collection}";

    /// <summary>The <c>$match</c>/<c>$project</c> stages after <c>$changeStream</c>, applied to each event.</summary>
    public IReadOnlyList<BsonElement> Stages { get; } = stages;

    /// <summary><c>fullDocument: "updateLookup"</c>: update events carry the document as stored when read.</summary>
    public bool UpdateLookup { get; } = updateLookup;

    /// <summary><c>startAtOperationTime</c>: events with an earlier cluster time are skipped.</summary>
    public BsonTimestamp? StartAt { get; } = startAt;

    /// <summary>The last history sequence this stream has looked at (returned or skipped).</summary>
    public long Position { get; set; }

    /// <summary>The stream returned its <c>invalidate</c> event: the cursor is closed.</summary>
    public bool Invalidated { get; set; }
}
