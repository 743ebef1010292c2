using System.Runtime.CompilerServices;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Store.MongoDocumentLayout;
using DriverChangeStreamOptions = MongoDB.Driver.ChangeStreamOptions;

namespace CacheSidecar.Store;

/// <summary>
/// A collection's MongoDB change stream as <see cref="ChangeBatch"/>es. Each change names its key
/// and, when the write carried the sidecar's metadata, the version it wrote: inserts and replaces
/// read <c>_cs.v</c> from the full document, updates from the updated fields. An update that does
/// not set <c>_cs.v</c> (another service's <c>$set</c>) and a delete have no version, so they always
/// invalidate. The driver resumes by itself across one transient error; anything longer surfaces.
/// </summary>
internal sealed class MongoChangeFeed(IOptions<SidecarOptions> options) : IChangeFeed
{
    /// <summary>ChangeStreamHistoryLost, and ChangeStreamFatalError (the token cannot be resumed).</summary>
    private static readonly int[] HistoryLostCodes = [286, 280];

    private readonly IMongoDatabase _database = MongoDatabases.Open(options.Value.Mongo);

    public async IAsyncEnumerable<ChangeBatch> FollowAsync(NamespacePolicy ns, string? resumeAfter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var collection = _database.GetCollection<BsonDocument>(ns.Collection);
        var streamOptions = new DriverChangeStreamOptions
        {
            BatchSize = ns.ChangeStream.BatchSize,
            MaxAwaitTime = ns.ChangeStream.MaxAwaitTime,
            // startAfter (unlike resumeAfter) also resumes after an invalidate event.
            StartAfter = resumeAfter is null ? null : BsonDocument.Parse(resumeAfter),
        };
        var pipeline = new EmptyPipelineDefinition<ChangeStreamDocument<BsonDocument>>();
        using var cursor = await Guard(() => collection.WatchAsync(pipeline, streamOptions, cancellationToken))
            .ConfigureAwait(false);
        while (await Guard(() => cursor.MoveNextAsync(cancellationToken)).ConfigureAwait(false))
        {
            var changes = new List<StoreChange>();
            var replaced = false;
            foreach (var change in cursor.Current)
            {
                if (change.OperationType is ChangeStreamOperationType.Drop or ChangeStreamOperationType.Rename
                    or ChangeStreamOperationType.DropDatabase or ChangeStreamOperationType.Invalidate)
                {
                    replaced = true;
                    continue;
                }

                if (change.DocumentKey?.GetValue("_id", null) is { } id)
                {
                    changes.Add(new StoreChange(FromId(id), VersionOf(change), CommittedAt(change)));
                }
            }

            yield return new ChangeBatch(changes, cursor.GetResumeToken()?.ToJson(), replaced);
            if (replaced)
            {
                yield break;
            }
        }
    }

    private static long? VersionOf(ChangeStreamDocument<BsonDocument> change) => change.OperationType switch
    {
        ChangeStreamOperationType.Insert or ChangeStreamOperationType.Replace when change.FullDocument is { } document
            && document.TryGetValue(MetaField, out var meta) && meta.IsBsonDocument =>
            VersionIn(meta.AsBsonDocument),
        ChangeStreamOperationType.Update when change.UpdateDescription?.UpdatedFields is { } updated =>
            updated.TryGetValue(VersionPath, out var v) && v.IsNumeric ? v.ToInt64()
            : updated.TryGetValue(MetaField, out var meta) && meta.IsBsonDocument ? VersionIn(meta.AsBsonDocument)
            : null,
        _ => null,
    };

    private static long? VersionIn(BsonDocument meta) =>
        meta.TryGetValue("v", out var v) && v.IsNumeric ? v.ToInt64() : null;

    private static DateTimeOffset CommittedAt(ChangeStreamDocument<BsonDocument> change) =>
        change.WallTime is { } wall
            ? new DateTimeOffset(DateTime.SpecifyKind(wall, DateTimeKind.Utc))
            : DateTimeOffset.FromUnixTimeSeconds(change.ClusterTime?.Timestamp ?? 0);

    private static async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (HistoryLostCodes.Contains(ex.Code))
        {
            throw new ChangeHistoryLostException(
                $"The change stream cannot resume from its token ({ex.Code} {ex.CodeName}).", ex);
        }
        catch (Exception ex) when (ex is TimeoutException or MongoConnectionException or MongoNotPrimaryException
            or MongoNodeIsRecoveringException or MongoExecutionTimeoutException)
        {
            throw new StoreUnavailableException("The store (MongoDB) is unreachable: " + ex.GetType().Name, ex);
        }
        catch (MongoCommandException ex)
        {
            // e.g. 40573: change streams need a replica set or a sharded cluster.
            throw new StoreUnavailableException($"The store refused the change stream: {ex.Code} {ex.Message}", ex);
        }
    }
}
