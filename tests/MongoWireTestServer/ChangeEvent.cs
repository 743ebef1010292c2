using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// One committed change, as the history keeps it. <see cref="FullDocument"/> is the stored document
/// itself, not a copy: stored documents are never modified in place (updates store a new object), so
/// sharing is safe and keeps a 100 000-event history cheap. <see cref="Render"/> copies.
/// </summary>
internal sealed record ChangeEvent(
    long Sequence,
    string OperationType,
    string Database,
    string Collection,
    BsonTimestamp ClusterTime,
    BsonDateTime WallTime,
    BsonValue? DocumentId,
    BsonDocument? FullDocument,
    BsonDocument? UpdateDescription)
{
    public bool IsInvalidate => OperationType == "invalidate";

    public ResumeToken Token(uint instance) => new(Sequence, IsInvalidate, instance);

    /// <summary>
    /// The event as a change stream returns it, fields in the real server's order. With
    /// <paramref name="updateLookup"/> an update event carries <paramref name="current"/> (the document
    /// as stored now, or null when it is gone) as <c>fullDocument</c>.
    /// </summary>
    public BsonDocument Render(uint instance, bool updateLookup, BsonDocument? current)
    {
        var output = new BsonDocument
        {
            { "_id", Token(instance).ToDocument() },
            { "operationType", OperationType },
            { "clusterTime", ClusterTime },
            { "wallTime", WallTime },
        };
        if (FullDocument is not null)
        {
            output["fullDocument"] = FullDocument.DeepClone();
        }
        else if (updateLookup && OperationType == "update")
        {
            output["fullDocument"] = current?.DeepClone() ?? BsonNull.Value;
        }

        if (!IsInvalidate)
        {
            output["ns"] = new BsonDocument { { "db", Database }, { "coll", Collection } };
        }

        if (DocumentId is not null)
        {
            output["documentKey"] = new BsonDocument("_id", DocumentId.DeepClone());
        }

        if (UpdateDescription is not null)
        {
            output["updateDescription"] = UpdateDescription.DeepClone();
        }

        return output;
    }
}
