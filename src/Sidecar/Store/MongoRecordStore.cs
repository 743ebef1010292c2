using System.Collections.Concurrent;
using System.Text.Json;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Store.MongoDocumentLayout;

namespace CacheSidecar.Store;

/// <summary>
/// The MongoDB store; the document layout, tombstones included, is <see cref="MongoDocumentLayout"/>.
/// Every operation targets one <c>_id</c> (or an <c>$in</c> of ids), so it routes to one shard.
/// </summary>
internal sealed partial class MongoRecordStore : IRecordStore
{
    private const string PurgeIndexName = "cachesidecar_tombstone_purge";

    private readonly IMongoDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<MongoRecordStore> _logger;
    private readonly ConcurrentDictionary<string, IMongoCollection<BsonDocument>> _collections =
        new(StringComparer.Ordinal);

    /// <summary>Collections whose purge index exists (or was refused: asking again would not help).</summary>
    private readonly ConcurrentDictionary<string, bool> _purgeIndexChecked = new(StringComparer.Ordinal);

    public MongoRecordStore(IOptions<SidecarOptions> options, TimeProvider time, ILogger<MongoRecordStore> logger)
    {
        _time = time;
        _logger = logger;
        var mongo = options.Value.Mongo;
        _database = MongoDatabases.Open(mongo);
        Description = $"MongoDB database '{mongo.Database}'";
    }

    public string Description { get; }

    public async Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var document = await Guard(() =>
                Collection(ns).Find(LiveFilter(IdFilter(ns, key))).Limit(1).FirstOrDefaultAsync(cancellationToken))
            .ConfigureAwait(false);
        return document is null ? null : ToRecord(document);
    }

    public async Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns,
        IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var ids = keys.Distinct(StringComparer.Ordinal).Select(key => ToId(ns, key));
        var filter = LiveFilter(Builders<BsonDocument>.Filter.In("_id", ids));
        var documents = await Guard(() => Collection(ns).Find(filter).ToListAsync(cancellationToken))
            .ConfigureAwait(false);
        var result = new Dictionary<string, StoredRecord>(documents.Count, StringComparer.Ordinal);
        foreach (var document in documents)
        {
            result[FromId(document["_id"])] = ToRecord(document);
        }

        return result;
    }

    public async Task<long?> LoadVersionAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var document = await Guard(() => Collection(ns)
                .Find(IdFilter(ns, key))
                .Project(Builders<BsonDocument>.Projection.Include(MetaField))
                .Limit(1)
                .FirstOrDefaultAsync(cancellationToken))
            .ConfigureAwait(false);
        return document is null ? null : VersionOf(document);
    }

    public async Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        // Matches the key only while its stored version is older (or it was written by someone
        // else and has no version). If a newer version exists the filter misses, the upsert tries
        // to insert the same _id and fails with a duplicate-key error: "already newer".
        return await UpsertUnlessIdTakenAsync(ns, key, OlderThan(ns, key, record.Version), record, cancellationToken)
            .ConfigureAwait(false)
            ? StoreWriteOutcome.Applied
            : StoreWriteOutcome.AlreadyNewer;
    }

    /// <summary>
    /// Replaces the document <paramref name="filter"/> matches, or inserts it when nothing matches; false
    /// when the key's document exists but did not match (the insert hit a duplicate <c>_id</c>).
    /// </summary>
    private async Task<bool> UpsertUnlessIdTakenAsync(NamespacePolicy ns, string key,
        FilterDefinition<BsonDocument> filter, StoredRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await Guard(() => Collection(ns).ReplaceOneAsync(
                    filter,
                    ToDocument(ns, key, record),
                    new ReplaceOptions { IsUpsert = true },
                    cancellationToken))
                .ConfigureAwait(false);
            return true;
        }
        catch (MongoWriteException ex) when (IsIdDuplicate(ex.WriteError))
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(NamespacePolicy ns,
        IReadOnlyList<StoreMutation> mutations, CancellationToken cancellationToken)
    {
        var outcomes = new MutationOutcome[mutations.Count];
        var models = new List<WriteModel<BsonDocument>>(mutations.Count);
        var modelIndex = new List<int>(mutations.Count);
        for (var i = 0; i < mutations.Count; i++)
        {
            outcomes[i] = MutationOutcome.Applied;
            try
            {
                models.Add(ToModel(ns, mutations[i]));
                modelIndex.Add(i);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or BsonException)
            {
                outcomes[i] = MutationOutcome.Rejected("The value cannot be stored as a document: " + ex.Message);
            }
        }

        if (models.Count == 0)
        {
            return outcomes;
        }

        if (mutations.Any(mutation => mutation.Record is null))
        {
            await EnsurePurgeIndexAsync(ns, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Guard(() => Collection(ns).BulkWriteAsync(
                    models,
                    new BulkWriteOptions { IsOrdered = false },
                    cancellationToken))
                .ConfigureAwait(false);
        }
        catch (MongoBulkWriteException<BsonDocument> ex)
        {
            if (ex.WriteConcernError is { } concern)
            {
                // Written, but not as durably as the configured write concern demands: retry the batch
                // (guards make it idempotent).
                throw new StoreUnavailableException(
                    "The store did not confirm the write concern: " + concern.Message, ex);
            }

            foreach (var error in ex.WriteErrors)
            {
                outcomes[modelIndex[error.Index]] = IsIdDuplicate(error)
                    ? MutationOutcome.AlreadyNewer
                    : MutationOutcome.Rejected($"{error.Code}: {error.Message}");
            }
        }
        catch (BsonSerializationException)
        {
            // The driver refused a document while serialising the batch, before anything was sent:
            // write one at a time so only that document is refused.
            for (var m = 0; m < models.Count; m++)
            {
                outcomes[modelIndex[m]] = await ApplyOneAsync(ns, models[m], cancellationToken).ConfigureAwait(false);
            }
        }

        return outcomes;
    }

    private async Task<MutationOutcome> ApplyOneAsync(NamespacePolicy ns, WriteModel<BsonDocument> model,
        CancellationToken cancellationToken)
    {
        try
        {
            await Guard(() => Collection(ns).BulkWriteAsync(
                    [model],
                    new BulkWriteOptions { IsOrdered = true },
                    cancellationToken))
                .ConfigureAwait(false);
            return MutationOutcome.Applied;
        }
        catch (MongoBulkWriteException<BsonDocument> ex)
            when (ex.WriteConcernError is null && ex.WriteErrors.Count == 1)
        {
            return IsIdDuplicate(ex.WriteErrors[0])
                ? MutationOutcome.AlreadyNewer
                : MutationOutcome.Rejected($"{ex.WriteErrors[0].Code}: {ex.WriteErrors[0].Message}");
        }
        catch (BsonSerializationException ex)
        {
            return MutationOutcome.Rejected("The value cannot be stored as a document: " + ex.Message);
        }
    }

    /// <summary>A write-behind write: a guarded upsert of the value, or of a tombstone for a delete.</summary>
    private WriteModel<BsonDocument> ToModel(NamespacePolicy ns, StoreMutation mutation)
    {
        var replacement = mutation.Record is { } record
            ? ToDocument(ns, mutation.Key, record)
            : Tombstone(ns, mutation.Key, mutation.Version, PurgeAt(ns));
        return new ReplaceOneModel<BsonDocument>(OlderThan(ns, mutation.Key, mutation.Version), replacement)
        {
            IsUpsert = true,
        };
    }

    /// <summary>
    /// A duplicate key on <c>_id</c> is the version guard saying "already newer". A duplicate on
    /// any other unique index is the caller's data clashing with another document: a refusal,
    /// never to be mistaken for success.
    /// </summary>
    private static bool IsIdDuplicate(WriteError? error) =>
        error is { Category: ServerErrorCategory.DuplicateKey } && IsIdDuplicate(error.Message);

    private static bool IsIdDuplicate(string? message) =>
        message is null || message.Contains("index: _id_", StringComparison.Ordinal);

    public async Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record,
        long expectedVersion, CancellationToken cancellationToken)
    {
        var filter = Builders<BsonDocument>.Filter.And(
            LiveFilter(IdFilter(ns, key)),
            Builders<BsonDocument>.Filter.Eq(VersionPath, expectedVersion));
        var result = await Guard(() => Collection(ns).ReplaceOneAsync(
                filter,
                ToDocument(ns, key, record),
                new ReplaceOptions { IsUpsert = false },
                cancellationToken))
            .ConfigureAwait(false);
        return result.MatchedCount == 1 ? StoreWriteOutcome.Applied : StoreWriteOutcome.PreconditionFailed;
    }

    public async Task<DeleteOutcome> DeleteAsync(NamespacePolicy ns, string key, long tombstoneVersion,
        long? expectedVersion, CancellationToken cancellationToken)
    {
        await EnsurePurgeIndexAsync(ns, cancellationToken).ConfigureAwait(false);
        var tombstone = Tombstone(ns, key, tombstoneVersion, PurgeAt(ns));
        var filter = expectedVersion is { } expected
            ? Builders<BsonDocument>.Filter.And(
                LiveFilter(IdFilter(ns, key)),
                Builders<BsonDocument>.Filter.Eq(VersionPath, expected))
            : OlderThan(ns, key, tombstoneVersion);
        var options = new FindOneAndReplaceOptions<BsonDocument>
        {
            // Without if-match a missing key still gets its tombstone: a late older write must find it.
            IsUpsert = expectedVersion is null,
            ReturnDocument = ReturnDocument.Before,
        };
        try
        {
            var before = await Guard(() => Collection(ns).FindOneAndReplaceAsync(
                    filter, tombstone, options, cancellationToken))
                .ConfigureAwait(false);
            return (before, expectedVersion) switch
            {
                (null, not null) => DeleteOutcome.PreconditionFailed,
                (null, null) => DeleteOutcome.WasAbsent,
                _ when IsTombstone(before) => DeleteOutcome.WasAbsent,
                _ => DeleteOutcome.Removed,
            };
        }
        catch (MongoCommandException ex) when (ex.Code == 11000 && IsIdDuplicate(ex.Message))
        {
            return DeleteOutcome.AlreadyNewer;
        }
    }

    /// <summary>MongoDB purges tombstones itself, through the TTL index on <c>_cs.purgeAt</c>.</summary>
    public Task<int> PurgeTombstonesAsync(CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>
    /// The TTL index that purges tombstones, created on a collection's first delete. A refusal (no
    /// createIndex permission, a clashing index) is logged once: deletes still work, tombstones stay.
    /// </summary>
    private async Task EnsurePurgeIndexAsync(NamespacePolicy ns, CancellationToken cancellationToken)
    {
        if (_purgeIndexChecked.ContainsKey(ns.Collection!))
        {
            return;
        }

        var index = new CreateIndexModel<BsonDocument>(
            Builders<BsonDocument>.IndexKeys.Ascending(PurgeAtPath),
            new CreateIndexOptions { Name = PurgeIndexName, ExpireAfter = TimeSpan.Zero });
        try
        {
            await Guard(() => Collection(ns).Indexes.CreateOneAsync(index, cancellationToken: cancellationToken))
                .ConfigureAwait(false);
        }
        catch (MongoCommandException ex)
        {
            SidecarLog.TombstoneIndexRefused(_logger, ns.Collection!, ex.Message);
        }

        _purgeIndexChecked[ns.Collection!] = true;
    }

    private DateTimeOffset PurgeAt(NamespacePolicy ns) => _time.GetUtcNow() + ns.TombstoneRetention;

    /// <summary>Matches the key while its stored version (value or tombstone) is older, or it has none.</summary>
    private static FilterDefinition<BsonDocument> OlderThan(NamespacePolicy ns, string key, long version) =>
        Builders<BsonDocument>.Filter.And(
            IdFilter(ns, key),
            Builders<BsonDocument>.Filter.Or(
                Builders<BsonDocument>.Filter.Lt(VersionPath, version),
                Builders<BsonDocument>.Filter.Exists(VersionPath, exists: false)));

    /// <summary>Restricts a filter to values: tombstones read as absent.</summary>
    private static FilterDefinition<BsonDocument> LiveFilter(FilterDefinition<BsonDocument> filter) =>
        Builders<BsonDocument>.Filter.And(filter, Builders<BsonDocument>.Filter.Ne(DeletedPath, true));

    private IMongoCollection<BsonDocument> Collection(NamespacePolicy ns) =>
        _collections.GetOrAdd(ns.Collection!, name => _database.GetCollection<BsonDocument>(name));

    private static FilterDefinition<BsonDocument> IdFilter(NamespacePolicy ns, string key) =>
        Builders<BsonDocument>.Filter.Eq("_id", ToId(ns, key));

    /// <summary>Turns "cannot reach the store" into one exception type the API maps to UNAVAILABLE.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException
            or MongoConnectionException
            or MongoExecutionTimeoutException
            or MongoNotPrimaryException
            or MongoNodeIsRecoveringException)
        {
            throw new StoreUnavailableException("The store (MongoDB) is unreachable: " + ex.GetType().Name, ex);
        }
        catch (MongoWriteException ex) when (!IsIdDuplicate(ex.WriteError))
        {
            throw new StoreRejectedValueException(
                "The store refused the value: " + ex.WriteError?.Message,
                ex,
                $"The store refused the value (MongoDB error {ex.WriteError?.Code}, {ex.WriteError?.Category}).");
        }
    }
}
