using CacheSidecar.Core;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Store.MongoDocumentLayout;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Store;

/// <summary>The conditional writes of the cache-shaped API: create-if-absent and the counter's <c>$inc</c>.</summary>
internal sealed partial class MongoRecordStore
{
    private const string CounterField = "value";
    private const string EncodingPath = "_cs.enc";

    public async Task<StoreWriteOutcome> InsertIfAbsentAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        // Matches only a tombstone below the new version. A live value (ours or another service's) or a
        // newer tombstone makes the upsert insert the same _id: a duplicate key, and one read says which.
        var filter = Builders<BsonDocument>.Filter.And(
            IdFilter(ns, key),
            Builders<BsonDocument>.Filter.Eq(DeletedPath, true),
            Builders<BsonDocument>.Filter.Lt(VersionPath, record.Version));
        if (await UpsertUnlessIdTakenAsync(ns, key, filter, record, cancellationToken).ConfigureAwait(false))
        {
            return StoreWriteOutcome.Applied;
        }

        var live = await Guard(() => Collection(ns)
                .Find(LiveFilter(IdFilter(ns, key)))
                .Project(Builders<BsonDocument>.Projection.Include("_id"))
                .Limit(1)
                .FirstOrDefaultAsync(cancellationToken))
            .ConfigureAwait(false);
        return live is null ? StoreWriteOutcome.AlreadyNewer : StoreWriteOutcome.PreconditionFailed;
    }

    public async Task<IncrementOutcome> IncrementAsync(NamespacePolicy ns, string key, long delta,
        CancellationToken cancellationToken)
    {
        // One atomic $inc of the value and of the version: concurrent increments serialise in the store and
        // each gets the next version, none retries. Bounded so that it cannot overflow (MongoDB would wrap
        // or fail the whole update otherwise).
        var filters = Builders<BsonDocument>.Filter;
        var filter = filters.And(
            LiveFilter(IdFilter(ns, key)),
            filters.Eq(EncodingPath, "value"),
            filters.Or(filters.Type(CounterField, BsonType.Int32), filters.Type(CounterField, BsonType.Int64)),
            // $type and the bound also match an array's elements: [5] is not a counter.
            filters.Not(filters.Type(CounterField, BsonType.Array)),
            filters.Or(filters.Type(VersionPath, BsonType.Int32), filters.Type(VersionPath, BsonType.Int64)),
            delta >= 0
                ? filters.Lte(CounterField, long.MaxValue - delta)
                : filters.Gte(CounterField, long.MinValue - delta));
        // A counter has no tags (its cache entries carry none either).
        var update = Builders<BsonDocument>.Update.Inc(CounterField, delta).Inc(VersionPath, 1L).Unset(TagsPath);
        var after = await Guard(() => Collection(ns).FindOneAndUpdateAsync(
                filter,
                update,
                new FindOneAndUpdateOptions<BsonDocument>
                {
                    ReturnDocument = ReturnDocument.After,
                    Projection = Builders<BsonDocument>.Projection.Include(CounterField).Include(MetaField),
                },
                cancellationToken))
            .ConfigureAwait(false);
        if (after is not null)
        {
            return new IncrementOutcome(IncrementStatus.Applied, after[CounterField].ToInt64(), VersionOf(after));
        }

        var current = await Guard(() => Collection(ns).Find(IdFilter(ns, key)).Limit(1)
                .FirstOrDefaultAsync(cancellationToken))
            .ConfigureAwait(false);
        return new IncrementOutcome(WhyNotIncremented(current, delta));
    }

    /// <summary>Why the guarded <c>$inc</c> matched nothing, from the document as it is now.</summary>
    private static IncrementStatus WhyNotIncremented(BsonDocument? current, long delta)
    {
        if (current is null || IsTombstone(current))
        {
            return IncrementStatus.Absent;
        }

        var isCounter = current.TryGetValue(MetaField, out var meta)
            && meta is BsonDocument metaDocument
            && metaDocument.GetValue("enc", BsonNull.Value) == "value"
            && metaDocument.GetValue("v", BsonNull.Value).BsonType is BsonType.Int32 or BsonType.Int64
            && current.TryGetValue(CounterField, out var value)
            && value.BsonType is BsonType.Int32 or BsonType.Int64;
        if (!isCounter)
        {
            return IncrementStatus.NotACounter;
        }

        // A counter, so only the bound can have refused it (or the document changed in between: go again).
        return Counter.Add(current[CounterField].ToInt64(), delta) is null
            ? IncrementStatus.Overflow
            : IncrementStatus.Changed;
    }
}
