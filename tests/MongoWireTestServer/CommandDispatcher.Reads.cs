using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>Read commands: find, getMore, killCursors, count, and the small aggregate subset CountDocuments needs.</summary>
internal sealed partial class CommandDispatcher
{
    /// <summary>The real server's default first batch, so a driver test with more documents exercises getMore.</summary>
    private const int DefaultFirstBatchSize = 101;

    /// <summary>Stay under maxBsonObjectSize for the whole reply, as the real server does.</summary>
    private const int MaxBatchBytes = MaxBsonObjectSize - (64 * 1024);

    private readonly Dictionary<long, ServerCursor> _cursors = [];
    private long _nextCursorId = 7_000_000;

    private BsonDocument Find(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        RejectUnsupportedOptions(command, "collation");
        IEnumerable<BsonDocument> results = Query(db, collection, DocumentOrEmpty(command, "filter"), DocumentOrEmpty(command, "sort"));
        int skip = command.GetValue("skip", 0).ToInt32();
        int limit = command.GetValue("limit", 0).ToInt32();
        if (skip < 0)
        {
            throw MongoServerError.BadValue("skip value must be non-negative");
        }

        results = results.Skip(skip);
        if (limit != 0)
        {
            results = results.Take(Math.Abs(limit));
        }

        BsonDocument projection = DocumentOrEmpty(command, "projection");
        List<BsonDocument> documents = results.Select(d => Project(d, projection)).ToList();
        int firstBatch = command.Contains("batchSize") ? command["batchSize"].ToInt32() : DefaultFirstBatchSize;

        // A negative limit is the legacy spelling of "one batch, then close".
        bool singleBatch = command.GetValue("singleBatch", false).ToBoolean() || limit < 0;
        return OpenCursor($"{db}.{collection}", documents, firstBatch, singleBatch);
    }

    private BsonDocument GetMore(BsonDocument command)
    {
        long cursorId = command[0].ToInt64();
        if (_changeStreams.TryGetValue(cursorId, out ChangeStreamState? stream))
        {
            // ExecuteAsync routes change-stream getMores to the awaiting path; this answers without waiting.
            EnsureHistoryKept(cursorId, stream);
            (List<BsonDocument> changes, BsonDocument postBatchResumeToken) = NextChanges(stream, int.MaxValue);
            return ChangeStreamReply(stream.Invalidated ? 0 : cursorId, stream.Namespace, "nextBatch", changes,
                postBatchResumeToken);
        }

        if (!_cursors.TryGetValue(cursorId, out ServerCursor? cursor))
        {
            throw new MongoServerError(ErrorCodes.CursorNotFound, $"cursor id {cursorId} not found");
        }

        // Without a batchSize the real server fills the batch up to 16 MB; so do we.
        int batchSize = command.GetValue("batchSize", 0).ToInt32();
        List<BsonDocument> batch = TakeBatch(cursor.Remaining, batchSize > 0 ? batchSize : int.MaxValue);
        if (cursor.Remaining.Count == 0)
        {
            _cursors.Remove(cursorId);
            cursorId = 0;
        }

        return CursorReply(cursorId, cursor.Namespace, "nextBatch", batch);
    }

    private BsonDocument KillCursors(BsonDocument command)
    {
        var killed = new BsonArray();
        var notFound = new BsonArray();
        foreach (BsonValue id in command.GetValue("cursors", new BsonArray()).AsBsonArray)
        {
            // Not ||: an id is in at most one of the two, and both must be tried.
            bool removed = _cursors.Remove(id.ToInt64()) | _changeStreams.Remove(id.ToInt64());
            (removed ? killed : notFound).Add(id);
        }

        return Ok(new BsonDocument
        {
            { "cursorsKilled", killed },
            { "cursorsNotFound", notFound },
            { "cursorsAlive", new BsonArray() },
            { "cursorsUnknown", new BsonArray() },
        });
    }

    /// <summary>The <c>count</c> command (EstimatedDocumentCount and legacy Count): query, skip, limit.</summary>
    private BsonDocument Count(string db, BsonDocument command)
    {
        RejectUnsupportedOptions(command, "collation");
        IEnumerable<BsonDocument> matches = Query(db, command[0].AsString, DocumentOrEmpty(command, "query"), []);
        matches = matches.Skip(command.GetValue("skip", 0).ToInt32());
        int limit = Math.Abs(command.GetValue("limit", 0).ToInt32());
        return Ok(new BsonDocument("n", (limit > 0 ? matches.Take(limit) : matches).Count()));
    }

    /// <summary>
    /// Stages <c>$match $sort $skip $limit $project $count</c> and a <c>$group</c> whose
    /// <c>_id</c> is a constant and whose accumulators are <c>{$sum: number}</c>. That is the
    /// shape CountDocuments sends: <c>[{$match}, ({$skip}, {$limit},) {$group: {_id: 1, n: {$sum: 1}}}]</c>.
    /// </summary>
    private BsonDocument Aggregate(string db, BsonDocument command)
    {
        if (!command[0].IsString)
        {
            throw MongoServerError.BadValue("database-level aggregate (and so database- and cluster-level change "
                + "streams) is not supported by the MongoDB wire test server");
        }

        string collection = command[0].AsString;
        RejectUnsupportedOptions(command, "collation");
        if (IsChangeStreamPipeline(command))
        {
            return WatchCollection(db, collection, command);
        }

        IEnumerable<BsonDocument> documents = Query(db, collection, [], []);
        foreach (BsonValue stageValue in command["pipeline"].AsBsonArray)
        {
            BsonDocument stage = stageValue.AsBsonDocument;
            if (stage.ElementCount != 1)
            {
                throw MongoServerError.BadValue("A pipeline stage specification object must contain exactly one field.");
            }

            BsonElement spec = stage.GetElement(0);
            documents = spec.Name switch
            {
                "$match" => Filter(documents.ToList(), spec.Value.AsBsonDocument),
                "$sort" => Sort(documents.ToList(), spec.Value.AsBsonDocument),
                "$skip" => documents.Skip(spec.Value.ToInt32()),
                "$limit" => documents.Take(spec.Value.ToInt32()),
                "$project" => documents.Select(d => Project(d, spec.Value.AsBsonDocument)),
                "$count" => CountStage(documents.Count(), spec.Value.AsString),
                "$group" => Group(documents.Count(), spec.Value.AsBsonDocument),
                "$changeStream" => throw MongoServerError.BadValue(
                    "$changeStream is only valid as the first stage in a pipeline."),
                _ => throw MongoServerError.BadValue(
                    $"Unrecognized pipeline stage name: '{spec.Name}' (not supported by the MongoDB wire test server)"),
            };
        }

        List<BsonDocument> results = documents.Select(d => d.DeepClone().AsBsonDocument).ToList();
        BsonDocument cursorOptions = DocumentOrEmpty(command, "cursor");
        int firstBatch = cursorOptions.GetValue("batchSize", DefaultFirstBatchSize).ToInt32();
        return OpenCursor($"{db}.{collection}", results, firstBatch, singleBatch: false);
    }

    private static List<BsonDocument> CountStage(int count, string field) =>
        count == 0 ? [] : [new BsonDocument(field, count)];

    private static List<BsonDocument> Group(int count, BsonDocument spec)
    {
        BsonValue id = spec.GetValue("_id", BsonNull.Value);
        if ((id.IsString && id.AsString.StartsWith('$')) || id.IsBsonDocument)
        {
            throw MongoServerError.BadValue("$group supports only a constant _id in the MongoDB wire test server");
        }

        var output = new BsonDocument("_id", id);
        foreach (BsonElement accumulator in spec.Where(e => e.Name != "_id"))
        {
            if (accumulator.Value is not BsonDocument { ElementCount: 1 } acc || acc.GetElement(0).Name != "$sum" || !acc[0].IsNumeric)
            {
                throw MongoServerError.BadValue("$group supports only {$sum: <number>} accumulators in the MongoDB wire test server");
            }

            BsonValue unit = acc[0];
            long total = count * unit.ToInt64();
            output[accumulator.Name] = unit.IsDouble ? new BsonDouble(count * unit.ToDouble())
                : unit.IsInt32 && total is >= int.MinValue and <= int.MaxValue ? new BsonInt32((int)total)
                : new BsonInt64(total);
        }

        return count == 0 ? [] : [output];
    }

    /// <summary>Matching documents (live, not copies) in sort order; an invalid filter fails even on an empty collection.</summary>
    private List<BsonDocument> Query(string db, string collection, BsonDocument filter, BsonDocument sort)
    {
        List<BsonDocument> candidates = _store.Find(db, collection)?.Candidates(filter) ?? [];
        return Sort(Filter(candidates, filter), sort);
    }

    private static List<BsonDocument> Filter(List<BsonDocument> documents, BsonDocument filter)
    {
        QueryMatcher.Validate(filter);
        return documents.FindAll(d => QueryMatcher.Matches(d, filter));
    }

    /// <summary>Stable sort on any (dotted) fields with MongoDB's cross-type order; a missing field sorts as null.</summary>
    private static List<BsonDocument> Sort(List<BsonDocument> documents, BsonDocument sort)
    {
        if (sort.ElementCount == 0)
        {
            return documents;
        }

        if (sort.Any(key => !key.Value.IsNumeric || Math.Abs(key.Value.ToDouble()) != 1))
        {
            throw MongoServerError.BadValue($"sort values must be 1 or -1 in the MongoDB wire test server: {sort}");
        }

        static BsonValue Key(BsonDocument document, string path) =>
            QueryMatcher.PathValues(document, path) is [var first, ..] ? first : BsonNull.Value;

        var comparer = Comparer<BsonDocument>.Create((a, b) =>
        {
            foreach (BsonElement key in sort)
            {
                int result = BsonOrder.Compare(Key(a, key.Name), Key(b, key.Name));
                if (result != 0)
                {
                    return key.Value.ToDouble() < 0 ? -result : result;
                }
            }

            return 0;
        });
        return documents.Order(comparer).ToList();
    }

    /// <summary>
    /// A copy of the document restricted by a projection of top-level fields: inclusion
    /// (<c>{a: 1}</c>, <c>_id</c> kept unless <c>_id: 0</c>) or exclusion (<c>{a: 0}</c>).
    /// Projection operators and dotted paths are rejected.
    /// </summary>
    private static BsonDocument Project(BsonDocument document, BsonDocument projection)
    {
        if (projection.ElementCount == 0)
        {
            return document.DeepClone().AsBsonDocument;
        }

        bool includeId = true;
        var included = new HashSet<string>(StringComparer.Ordinal);
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        foreach (BsonElement field in projection)
        {
            if (!(field.Value.IsNumeric || field.Value.IsBoolean) || field.Name.Contains('.', StringComparison.Ordinal))
            {
                throw MongoServerError.BadValue($"only top-level 0/1 projections are supported by the MongoDB wire test server: {projection}");
            }

            if (field.Name == "_id")
            {
                includeId = field.Value.ToBoolean();
            }
            else
            {
                (field.Value.ToBoolean() ? included : excluded).Add(field.Name);
            }
        }

        if (included.Count > 0 && excluded.Count > 0)
        {
            throw MongoServerError.BadValue($"Cannot do exclusion on field {excluded.First()} in inclusion projection");
        }

        // {_id: 1} alone is an inclusion projection too; {_id: 0} alone is an exclusion.
        bool inclusion = included.Count > 0 || (excluded.Count == 0 && includeId);
        var result = new BsonDocument();
        foreach (BsonElement element in document)
        {
            bool keep = element.Name == "_id" ? includeId
                : inclusion ? included.Contains(element.Name)
                : !excluded.Contains(element.Name);
            if (keep)
            {
                result.Add(element.Name, element.Value.DeepClone());
            }
        }

        return result;
    }

    /// <summary>Returns the first batch and parks the rest under a cursor id for getMore (unless singleBatch).</summary>
    private BsonDocument OpenCursor(string ns, List<BsonDocument> documents, int firstBatchSize, bool singleBatch)
    {
        var remaining = new Queue<BsonDocument>(documents);
        List<BsonDocument> batch = TakeBatch(remaining, firstBatchSize);
        long cursorId = 0;
        if (remaining.Count > 0 && !singleBatch)
        {
            cursorId = _nextCursorId++;
            _cursors[cursorId] = new ServerCursor(ns, remaining);
        }

        return CursorReply(cursorId, ns, "firstBatch", batch);
    }

    private static List<BsonDocument> TakeBatch(Queue<BsonDocument> remaining, int maxCount)
    {
        var batch = new List<BsonDocument>();
        long bytes = 0;
        while (batch.Count < maxCount && remaining.TryPeek(out BsonDocument? next))
        {
            bytes += next.ToBson().Length;
            if (bytes > MaxBatchBytes && batch.Count > 0)
            {
                break;
            }

            batch.Add(remaining.Dequeue());
        }

        return batch;
    }

    /// <summary>Documents not yet returned; copies taken when the cursor opened, so later writes do not show.</summary>
    private sealed record ServerCursor(string Namespace, Queue<BsonDocument> Remaining);
}
