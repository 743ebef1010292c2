using System.Collections.Concurrent;
using System.Text.Json;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Store;

/// <summary>
/// The MongoDB store. Document layout (see docs/architecture.md):
/// <code>
/// { _id: key,                        // string, or ObjectId when the namespace says so
///   ...fields of a JSON object...,   // _cs.enc = "document": the value *is* the document
///   value: any BSON value,           // _cs.enc = "value": JSON that is not a plain object
///   data: BinData,                   // _cs.enc = "binary": any other content type
///   _cs: { v: long, ct: string, enc: string } }   // the sidecar's reserved metadata
/// </code>
/// Every operation targets one <c>_id</c> (or an <c>$in</c> of ids), so it routes to one shard.
/// </summary>
internal sealed class MongoRecordStore : IRecordStore
{
    private const string MetaField = "_cs";
    private const string VersionPath = "_cs.v";
    private const string EncDocument = "document";
    private const string EncValue = "value";
    private const string EncBinary = "binary";

    private readonly IMongoDatabase _database;
    private readonly ConcurrentDictionary<string, IMongoCollection<BsonDocument>> _collections =
        new(StringComparer.Ordinal);

    public MongoRecordStore(IOptions<SidecarOptions> options)
    {
        var mongo = options.Value.Mongo;
        var settings = MongoClientSettings.FromConnectionString(mongo.ConnectionString);
        if (!mongo.ConnectionString!.Contains("serverSelectionTimeoutMS", StringComparison.OrdinalIgnoreCase))
        {
            settings.ServerSelectionTimeout = mongo.ServerSelectionTimeout;
        }

        settings.ReadPreference =
            new ReadPreference(Enum.Parse<ReadPreferenceMode>(mongo.ReadPreference, ignoreCase: true));
        settings.WriteConcern = int.TryParse(mongo.WriteConcern, out var w)
            ? new WriteConcern(w)
            : new WriteConcern(mongo.WriteConcern);
        _database = new MongoClient(settings).GetDatabase(mongo.Database);
        Description = $"MongoDB database '{mongo.Database}'";
    }

    public string Description { get; }

    public async Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var document = await Guard(() =>
                Collection(ns).Find(IdFilter(ns, key)).Limit(1).FirstOrDefaultAsync(cancellationToken))
            .ConfigureAwait(false);
        return document is null ? null : ToRecord(document);
    }

    public async Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns,
        IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var ids = keys.Distinct(StringComparer.Ordinal).Select(key => ToId(ns, key));
        var filter = Builders<BsonDocument>.Filter.In("_id", ids);
        var documents = await Guard(() => Collection(ns).Find(filter).ToListAsync(cancellationToken))
            .ConfigureAwait(false);
        var result = new Dictionary<string, StoredRecord>(documents.Count, StringComparer.Ordinal);
        foreach (var document in documents)
        {
            result[FromId(document["_id"])] = ToRecord(document);
        }

        return result;
    }

    public async Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        // Matches the key only while its stored version is older (or it was written by someone
        // else and has no version). If a newer version exists the filter misses, the upsert tries
        // to insert the same _id and fails with a duplicate-key error: "already newer".
        var filter = Builders<BsonDocument>.Filter.And(
            IdFilter(ns, key),
            Builders<BsonDocument>.Filter.Or(
                Builders<BsonDocument>.Filter.Lt(VersionPath, record.Version),
                Builders<BsonDocument>.Filter.Exists(VersionPath, exists: false)));
        try
        {
            await Guard(() => Collection(ns).ReplaceOneAsync(
                    filter,
                    ToDocument(ns, key, record),
                    new ReplaceOptions { IsUpsert = true },
                    cancellationToken))
                .ConfigureAwait(false);
            return StoreWriteOutcome.Applied;
        }
        catch (MongoWriteException ex) when (IsIdDuplicate(ex.WriteError))
        {
            return StoreWriteOutcome.AlreadyNewer;
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

    /// <summary>A write-behind write: a guarded upsert, or a delete that only removes an older version.</summary>
    private static WriteModel<BsonDocument> ToModel(NamespacePolicy ns, StoreMutation mutation)
    {
        var olderOnly = Builders<BsonDocument>.Filter.And(
            IdFilter(ns, mutation.Key),
            Builders<BsonDocument>.Filter.Or(
                Builders<BsonDocument>.Filter.Lt(VersionPath, mutation.Version),
                Builders<BsonDocument>.Filter.Exists(VersionPath, exists: false)));
        return mutation.Record is { } record
            ? new ReplaceOneModel<BsonDocument>(olderOnly, ToDocument(ns, mutation.Key, record)) { IsUpsert = true }
            : new DeleteOneModel<BsonDocument>(olderOnly);
    }

    /// <summary>
    /// A duplicate key on <c>_id</c> is the version guard saying "already newer". A duplicate on
    /// any other unique index is the caller's data clashing with another document: a refusal,
    /// never to be mistaken for success.
    /// </summary>
    private static bool IsIdDuplicate(WriteError? error) =>
        error is { Category: ServerErrorCategory.DuplicateKey }
            && (error.Message is null || error.Message.Contains("index: _id_", StringComparison.Ordinal));

    public async Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record,
        long expectedVersion, CancellationToken cancellationToken)
    {
        var filter = Builders<BsonDocument>.Filter.And(
            IdFilter(ns, key),
            Builders<BsonDocument>.Filter.Eq(VersionPath, expectedVersion));
        var result = await Guard(() => Collection(ns).ReplaceOneAsync(
                filter,
                ToDocument(ns, key, record),
                new ReplaceOptions { IsUpsert = false },
                cancellationToken))
            .ConfigureAwait(false);
        return result.MatchedCount == 1 ? StoreWriteOutcome.Applied : StoreWriteOutcome.PreconditionFailed;
    }

    public async Task<bool> DeleteAsync(NamespacePolicy ns, string key, long? expectedVersion,
        CancellationToken cancellationToken)
    {
        var filter = expectedVersion is { } version
            ? Builders<BsonDocument>.Filter.And(
                IdFilter(ns, key),
                Builders<BsonDocument>.Filter.Eq(VersionPath, version))
            : IdFilter(ns, key);
        var result = await Guard(() => Collection(ns).DeleteOneAsync(filter, cancellationToken)).ConfigureAwait(false);
        return result.DeletedCount == 1;
    }

    private IMongoCollection<BsonDocument> Collection(NamespacePolicy ns) =>
        _collections.GetOrAdd(ns.Collection!, name => _database.GetCollection<BsonDocument>(name));

    private static FilterDefinition<BsonDocument> IdFilter(NamespacePolicy ns, string key) =>
        Builders<BsonDocument>.Filter.Eq("_id", ToId(ns, key));

    private static BsonValue ToId(NamespacePolicy ns, string key) =>
        ns.IdType == IdType.ObjectId ? ObjectId.Parse(key) : new BsonString(key);

    private static string FromId(BsonValue id) => id.IsObjectId ? id.AsObjectId.ToString() : id.ToString()!;

    internal static BsonDocument ToDocument(NamespacePolicy ns, string key, StoredRecord record)
    {
        var meta = new BsonDocument { { "v", record.Version }, { "ct", record.ContentType } };
        var document = new BsonDocument { { "_id", ToId(ns, key) } };
        if (ContentTypes.IsJson(record.ContentType))
        {
            using var json = JsonDocument.Parse(record.Value);
            if (json.RootElement.ValueKind == JsonValueKind.Object && CanBeTopLevel(json.RootElement))
            {
                meta.Add("enc", EncDocument);
                foreach (var element in JsonBson.ToDocument(json.RootElement))
                {
                    document.Add(element);
                }
            }
            else
            {
                meta.Add("enc", EncValue);
                document.Add("value", JsonBson.ToBson(json.RootElement));
            }
        }
        else
        {
            meta.Add("enc", EncBinary);
            document.Add("data", new BsonBinaryData(record.Value.ToArray()));
        }

        document.Add(MetaField, meta);
        return document;
    }

    /// <summary>
    /// A JSON object becomes the document itself unless one of its top-level names would clash
    /// with <c>_id</c>, the reserved <c>_cs</c>, or a name MongoDB refuses at the top level.
    /// </summary>
    private static bool CanBeTopLevel(JsonElement element)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name.Length == 0
                || name is "_id" or MetaField
                || name.StartsWith('$')
                || name.Contains('\0', StringComparison.Ordinal)
                || !seen.Add(name))
            {
                return false;
            }
        }

        return true;
    }

    internal static StoredRecord ToRecord(BsonDocument document)
    {
        var meta = document.TryGetValue(MetaField, out var metaValue) && metaValue.IsBsonDocument
            ? metaValue.AsBsonDocument
            : null;
        var version = meta is not null && meta.TryGetValue("v", out var v) && v.IsNumeric ? v.ToInt64() : 0L;
        var contentType = meta is not null && meta.TryGetValue("ct", out var ct) && ct.IsString
            ? ct.AsString
            : ContentTypes.Json;
        var encoding = meta is not null && meta.TryGetValue("enc", out var enc) && enc.IsString
            ? enc.AsString
            : EncDocument;

        if (encoding == EncBinary)
        {
            return new StoredRecord(
                document.GetValue("data", new BsonBinaryData([])).AsBsonBinaryData.Bytes,
                contentType,
                version);
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (encoding == EncValue)
            {
                JsonBson.Write(writer, document.GetValue("value", BsonNull.Value));
            }
            else
            {
                // A document without our metadata was written by another service: serve it as JSON.
                var body = new BsonDocument(document.Where(e => e.Name is not ("_id" or MetaField)));
                JsonBson.Write(writer, body);
            }
        }

        return new StoredRecord(buffer.WrittenMemory, contentType, version);
    }

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
