using System.Diagnostics;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Collection-level change streams: <c>aggregate</c> with a first <c>$changeStream</c> stage opens a
/// cursor over <see cref="ChangeHistory"/>, and <c>getMore</c> on it is tailable-await: it waits for
/// the next event up to <c>maxTimeMS</c> (default 1 s) without holding the store lock, so it is the
/// one command that completes asynchronously.
/// </summary>
internal sealed partial class CommandDispatcher
{
    /// <summary>The real server's await time for a tailable getMore that sends no maxTimeMS.</summary>
    private static readonly TimeSpan DefaultAwaitTime = TimeSpan.FromSeconds(1);

    private static readonly string[] StartOptions = ["resumeAfter", "startAfter", "startAtOperationTime"];

    private readonly Dictionary<long, ChangeStreamState> _changeStreams = [];

    /// <summary>
    /// Runs a command. Everything but a <c>getMore</c> on a change stream completes synchronously through
    /// <see cref="Execute"/>; that one may wait for events, until <paramref name="stopping"/> at the latest.
    /// </summary>
    public ValueTask<BsonDocument> ExecuteAsync(BsonDocument command, int connectionId, CancellationToken stopping)
    {
        if (CommandName(command) == "getMore" && command[0] is BsonInt64 or BsonInt32)
        {
            long cursorId = command[0].ToInt64();
            bool isChangeStream;
            lock (_store.SyncRoot)
            {
                isChangeStream = _changeStreams.ContainsKey(cursorId);
            }

            if (isChangeStream)
            {
                return AwaitChangesAsync(command, cursorId, stopping);
            }
        }

        return ValueTask.FromResult(Execute(command, connectionId));
    }

    private static bool IsChangeStreamPipeline(BsonDocument command) =>
        command.GetValue("pipeline", null) is BsonArray { Count: > 0 } pipeline
        && pipeline[0] is BsonDocument { ElementCount: > 0 } first
        && first.GetElement(0).Name == "$changeStream";

    /// <summary>
    /// <c>aggregate</c> with <c>$changeStream</c> first: parses the options, finds the starting point in
    /// the history and answers a first batch (events available at once, never waiting) and a cursor.
    /// </summary>
    private BsonDocument WatchCollection(string db, string collection, BsonDocument command)
    {
        BsonArray pipeline = command["pipeline"].AsBsonArray;
        if (pipeline[0].AsBsonDocument.ElementCount != 1)
        {
            throw MongoServerError.BadValue("A pipeline stage specification object must contain exactly one field.");
        }

        BsonDocument spec = pipeline[0]["$changeStream"] as BsonDocument
            ?? throw MongoServerError.BadValue("the $changeStream stage specification must be an object");
        var stages = pipeline.Skip(1).Select(ChangeStreamStage).ToList();
        bool updateLookup = ParseChangeStreamOptions(spec);
        ChangeHistory history = _store.Changes;
        BsonTimestamp? startAt = null;
        long position = history.LastSequence;
        if (spec.GetValue("resumeAfter", null) is { } resumeAfter)
        {
            position = ResumePosition(resumeAfter, "resumeAfter");
        }
        else if (spec.GetValue("startAfter", null) is { } startAfter)
        {
            position = ResumePosition(startAfter, "startAfter");
        }
        else if (spec.GetValue("startAtOperationTime", null) is { } operationTime)
        {
            startAt = operationTime as BsonTimestamp
                ?? throw new MongoServerError(ErrorCodes.TypeMismatch, "startAtOperationTime must be a Timestamp");
            if (history.NewestLostClusterTime is { } lost && startAt <= lost)
            {
                throw HistoryLost();
            }

            // Every event at or after startAt is retained: scan them all and skip the older ones.
            position = history.FirstRetainedSequence - 1;
        }

        var stream = new ChangeStreamState(db, collection, stages, updateLookup, startAt) { Position = position };
        int firstBatchSize = DocumentOrEmpty(command, "cursor").GetValue("batchSize", DefaultFirstBatchSize).ToInt32();
        (List<BsonDocument> batch, BsonDocument postBatchResumeToken) = NextChanges(stream, firstBatchSize);
        long cursorId = 0;
        if (!stream.Invalidated)
        {
            cursorId = _nextCursorId++;
            _changeStreams[cursorId] = stream;
        }

        return ChangeStreamReply(cursorId, stream.Namespace, "firstBatch", batch, postBatchResumeToken);
    }

    /// <summary>Checks the <c>$changeStream</c> options; true for <c>fullDocument: "updateLookup"</c>.</summary>
    private static bool ParseChangeStreamOptions(BsonDocument spec)
    {
        foreach (BsonElement option in spec)
        {
            if (option.Name is not ("resumeAfter" or "startAfter" or "startAtOperationTime" or "fullDocument"
                or "fullDocumentBeforeChange" or "showExpandedEvents" or "allChangesForCluster"))
            {
                throw MongoServerError.BadValue($"BSON field '$changeStream.{option.Name}' is an unknown field.");
            }
        }

        int startOptions = StartOptions.Count(spec.Contains);
        if (spec.Contains("resumeAfter") && spec.Contains("startAfter"))
        {
            throw MongoServerError.BadValue(
                "Do not specify both 'resumeAfter' and 'startAfter' in a $changeStream stage.");
        }

        if (startOptions > 1)
        {
            throw MongoServerError.BadValue("Only one type of resume option is allowed, but multiple were found.");
        }

        string fullDocument = spec.GetValue("fullDocument", "default").AsString;
        if (fullDocument is not ("default" or "updateLookup"))
        {
            throw MongoServerError.BadValue(fullDocument is "whenAvailable" or "required"
                ? $"fullDocument: '{fullDocument}' is not supported by the MongoDB wire test server (it records no "
                    + "post-images); use 'default' or 'updateLookup'"
                : $"unknown fullDocument mode '{fullDocument}'");
        }

        string beforeChange = spec.GetValue("fullDocumentBeforeChange", "off").AsString;
        if (beforeChange != "off")
        {
            throw MongoServerError.BadValue($"fullDocumentBeforeChange: '{beforeChange}' is not supported by the "
                + "MongoDB wire test server (it records no pre-images); only 'off' is");
        }

        if (spec.GetValue("showExpandedEvents", false).ToBoolean())
        {
            throw MongoServerError.BadValue("showExpandedEvents is not supported by the MongoDB wire test server");
        }

        if (spec.GetValue("allChangesForCluster", false).ToBoolean())
        {
            throw MongoServerError.BadValue("cluster-wide change streams are not supported by the MongoDB wire test "
                + "server (collection level only)");
        }

        return fullDocument == "updateLookup";
    }

    /// <summary>The stages a change stream may carry here, <c>$match</c> and <c>$project</c>, checked up front.
    /// </summary>
    private static BsonElement ChangeStreamStage(BsonValue stageValue)
    {
        BsonDocument stage = stageValue.AsBsonDocument;
        if (stage.ElementCount != 1)
        {
            throw MongoServerError.BadValue("A pipeline stage specification object must contain exactly one field.");
        }

        BsonElement spec = stage.GetElement(0);
        switch (spec.Name)
        {
            case "$match":
                QueryMatcher.Validate(spec.Value.AsBsonDocument);
                break;
            case "$project":
                Project([], spec.Value.AsBsonDocument); // refuses what Project does not support
                break;
            case "$changeStream":
                throw MongoServerError.BadValue("$changeStream is only valid as the first stage in a pipeline.");
            default:
                throw MongoServerError.BadValue($"Stage '{spec.Name}' after $changeStream is not supported by the "
                    + "MongoDB wire test server (only $match and $project are)");
        }

        return spec;
    }

    /// <summary>
    /// The history sequence a <c>resumeAfter</c>/<c>startAfter</c> token stands for, or the real server's error.
    /// </summary>
    private long ResumePosition(BsonValue value, string option)
    {
        ResumeToken token = ResumeToken.Parse(value, option);
        ChangeHistory history = _store.Changes;
        if (token.Instance != history.Instance || token.Sequence > history.LastSequence)
        {
            throw new MongoServerError(ErrorCodes.ChangeStreamFatalError,
                $"cannot resume stream; the resume token was not found. {value.ToJson()}");
        }

        if (!history.IsResumable(token.Sequence))
        {
            throw HistoryLost();
        }

        if (token.IsInvalidate && option == "resumeAfter")
        {
            throw new MongoServerError(ErrorCodes.InvalidResumeToken,
                "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate "
                + "notification.");
        }

        return token.Sequence;
    }

    private static MongoServerError HistoryLost() => new(ErrorCodes.ChangeStreamHistoryLost,
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");

    /// <summary>
    /// The tailable-await getMore: answers as soon as an event is there, else waits for the history's
    /// next event (woken by the write, no polling) until maxTimeMS has passed, then answers an empty
    /// batch. Every answer carries the stream's latest <c>postBatchResumeToken</c>.
    /// </summary>
    private async ValueTask<BsonDocument> AwaitChangesAsync(
        BsonDocument command, long cursorId, CancellationToken stopping)
    {
        try
        {
            int batchSize = command.GetValue("batchSize", 0).ToInt32();
            long maxTimeMs = command.GetValue("maxTimeMS", 0).ToInt64();
            if (maxTimeMs < 0)
            {
                throw MongoServerError.BadValue("maxTimeMS cannot be negative");
            }

            TimeSpan awaitTime = maxTimeMs == 0 ? DefaultAwaitTime : TimeSpan.FromMilliseconds(maxTimeMs);
            long started = Stopwatch.GetTimestamp();
            while (true)
            {
                Task changed;
                TimeSpan remaining = awaitTime - Stopwatch.GetElapsedTime(started);
                lock (_store.SyncRoot)
                {
                    if (!_changeStreams.TryGetValue(cursorId, out ChangeStreamState? stream))
                    {
                        // Killed while this getMore waited (killCursors from another connection).
                        throw new MongoServerError(ErrorCodes.CursorKilled, $"cursor id {cursorId} was killed");
                    }

                    EnsureHistoryKept(cursorId, stream);
                    (List<BsonDocument> batch, BsonDocument postBatchResumeToken) =
                        NextChanges(stream, batchSize > 0 ? batchSize : int.MaxValue);
                    if (batch.Count > 0 || stream.Invalidated || remaining <= TimeSpan.Zero)
                    {
                        if (stream.Invalidated)
                        {
                            _changeStreams.Remove(cursorId);
                        }

                        long replyId = stream.Invalidated ? 0 : cursorId;
                        return ChangeStreamReply(replyId, stream.Namespace, "nextBatch", batch, postBatchResumeToken);
                    }

                    changed = _store.Changes.Changed;
                }

                try
                {
                    await changed.WaitAsync(remaining, stopping);
                }
                catch (TimeoutException)
                {
                    // maxTimeMS is over: the next round answers whatever is there, possibly nothing.
                }
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return ErrorReplyFor("getMore", error);
        }
    }

    /// <summary>
    /// An open stream whose next events were dropped from the history (capacity, or
    /// <c>ForgetChangeHistory</c>) cannot go on without a gap: like the real server, whose oplog
    /// rolled over under it, the getMore fails and the cursor is gone.
    /// </summary>
    private void EnsureHistoryKept(long cursorId, ChangeStreamState stream)
    {
        if (!_store.Changes.IsResumable(stream.Position))
        {
            _changeStreams.Remove(cursorId);
            throw HistoryLost();
        }
    }

    /// <summary>
    /// Reads the stream's next events after its position, up to <paramref name="maxCount"/> and the
    /// batch byte limit, and moves the position past what it looked at. The post-batch resume token is
    /// that position: past filtered-out events and other collections' events too, and at the newest
    /// event when the history was read to its end, so an idle stream's token keeps up.
    /// </summary>
    private (List<BsonDocument> Batch, BsonDocument PostBatchResumeToken) NextChanges(
        ChangeStreamState stream, int maxCount)
    {
        ChangeHistory history = _store.Changes;
        var batch = new List<BsonDocument>();
        long bytes = 0;
        bool full = false;
        foreach (ChangeEvent change in history.After(stream.Position))
        {
            if (batch.Count >= maxCount)
            {
                full = true;
                break;
            }

            BsonDocument? output = change.Database == stream.Database && change.Collection == stream.Collection
                && (stream.StartAt is null || change.ClusterTime >= stream.StartAt)
                ? Transform(stream, change)
                : null;
            if (output is not null)
            {
                long size = output.ToBson().Length;
                if (bytes + size > MaxBatchBytes && batch.Count > 0)
                {
                    full = true;
                    break;
                }

                bytes += size;
                batch.Add(output);
            }

            stream.Position = change.Sequence;
            if (output is not null && change.IsInvalidate)
            {
                stream.Invalidated = true;
                return (batch, change.Token(history.Instance).ToDocument());
            }
        }

        if (!full)
        {
            stream.Position = Math.Max(stream.Position, history.LastSequence);
        }

        return (batch, new ResumeToken(stream.Position, false, history.Instance).ToDocument());
    }

    /// <summary>
    /// The event as this stream returns it, or null when a <c>$match</c> filters it out. The
    /// <c>invalidate</c> that closes the stream skips the user's stages: a filter cannot keep the
    /// stream open on a dropped collection.
    /// </summary>
    private BsonDocument? Transform(ChangeStreamState stream, ChangeEvent change)
    {
        BsonDocument? current = stream.UpdateLookup && change.OperationType == "update"
            ? _store.Find(change.Database, change.Collection)?.Get(change.DocumentId!)
            : null;
        BsonDocument output = change.Render(_store.Changes.Instance, stream.UpdateLookup, current);
        if (change.IsInvalidate)
        {
            return output;
        }

        BsonValue token = output["_id"];
        foreach (BsonElement stage in stream.Stages)
        {
            if (stage.Name == "$match")
            {
                if (!QueryMatcher.Matches(output, stage.Value.AsBsonDocument))
                {
                    return null;
                }
            }
            else
            {
                output = Project(output, stage.Value.AsBsonDocument);
            }
        }

        if (!output.TryGetValue("_id", out BsonValue id) || !id.Equals(token))
        {
            throw new MongoServerError(ErrorCodes.ChangeStreamFatalError,
                "Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. "
                + "Modifying the _id field of an event makes it impossible to resume the stream from that point. Only "
                + "transformations that retain the unmodified _id field are allowed.");
        }

        return output;
    }

    private static BsonDocument ChangeStreamReply(
        long cursorId, string ns, string batchName, List<BsonDocument> batch, BsonDocument postBatchResumeToken) =>
        Ok(new BsonDocument
        {
            {
                "cursor", new BsonDocument
                {
                    { batchName, new BsonArray(batch) },
                    { "postBatchResumeToken", postBatchResumeToken },
                    { "id", new BsonInt64(cursorId) },
                    { "ns", ns },
                }
            },
        });
}
