using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Databases → collections → documents, in memory, plus the history of changes that change
/// streams read. Not thread-safe by itself: the dispatcher runs every command under
/// <see cref="SyncRoot"/>, which makes each command atomic (stronger than MongoDB, and plenty for
/// tests). Survives <c>StopAsync</c>/<c>StartAsync</c>.
/// </summary>
internal sealed class InMemoryStore(TimeProvider time)
{
    private readonly SortedDictionary<string, SortedDictionary<string, CollectionData>> _databases = new(StringComparer.Ordinal);

    public Lock SyncRoot { get; } = new();

    /// <summary>Every committed write, for change streams; writers record under <see cref="SyncRoot"/>.</summary>
    public ChangeHistory Changes { get; } = new(time);

    public IEnumerable<string> DatabaseNames => _databases.Keys;

    public CollectionData? Find(string database, string collection) =>
        _databases.TryGetValue(database, out var collections) && collections.TryGetValue(collection, out var data) ? data : null;

    /// <summary>Collections are created implicitly by the first write, as in MongoDB.</summary>
    public CollectionData GetOrCreate(string database, string collection, out bool created)
    {
        if (!_databases.TryGetValue(database, out var collections))
        {
            collections = new SortedDictionary<string, CollectionData>(StringComparer.Ordinal);
            _databases[database] = collections;
        }

        created = !collections.TryGetValue(collection, out CollectionData? data);
        if (data is null)
        {
            data = new CollectionData(database, collection);
            collections[collection] = data;
        }

        return data;
    }

    public IEnumerable<KeyValuePair<string, CollectionData>> Collections(string database) =>
        _databases.TryGetValue(database, out var collections) ? collections : [];

    public bool Drop(string database, string collection) =>
        _databases.TryGetValue(database, out var collections) && collections.Remove(collection);

    public void DropDatabase(string database) => _databases.Remove(database);
}

/// <summary>One collection: documents in insertion ("natural") order, unique by <c>_id</c>.</summary>
internal sealed class CollectionData(string database, string name)
{
    // OrderedDictionary keeps natural order and replaces in place, like a record id would.
    private readonly OrderedDictionary<BsonValue, BsonDocument> _documents = new(BsonIdComparer.Instance);

    public string Database { get; } = database;

    public string Name { get; } = name;

    public string Namespace { get; } = $"{database}.{name}";

    /// <summary>Index specs as given to createIndexes. Only the implicit unique <c>_id_</c> is enforced.</summary>
    public List<BsonDocument> Indexes { get; } = [new BsonDocument { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } }];

    /// <summary>Set by create/collMod; dropped with the collection, so a re-created one starts without.</summary>
    public DocumentValidation Validation { get; set; } = DocumentValidation.None;

    public int Count => _documents.Count;

    /// <summary>
    /// The documents a filter can match, in natural order (live objects, a fresh list). An
    /// <c>_id</c> equality or <c>$in</c> goes through the index, so keyed workloads stay O(1)
    /// per statement; anything else scans. Callers still apply the whole filter.
    /// </summary>
    public List<BsonDocument> Candidates(BsonDocument filter)
    {
        BsonValue? id = filter.GetValue("_id", null);
        IEnumerable<BsonValue>? keys = id switch
        {
            null => null,
            BsonDocument { ElementCount: 1 } op when op.GetElement(0).Name == "$eq" => [op[0]],
            BsonDocument { ElementCount: 1 } op when op.GetElement(0).Name == "$in" && op[0] is BsonArray values => values,
            _ when QueryMatcher.IsOperatorDocument(id) => null,
            _ => [id],
        };
        return keys is null
            ? [.. _documents.Values]
            : keys.Select(_documents.IndexOf).Where(i => i >= 0).Distinct().Order().Select(i => _documents.GetAt(i).Value).ToList();
    }

    /// <summary>Inserts a document that already passed <see cref="StorageRules.Validate"/>; duplicate <c>_id</c> → E11000.</summary>
    public void Insert(BsonDocument document)
    {
        BsonValue id = document["_id"];
        if (!_documents.TryAdd(id, document))
        {
            throw new MongoServerError(ErrorCodes.DuplicateKey,
                $"E11000 duplicate key error collection: {Namespace} index: _id_ dup key: {{ _id: {id.ToJson()} }}")
            {
                Details = new BsonDocument { { "keyPattern", new BsonDocument("_id", 1) }, { "keyValue", new BsonDocument("_id", id) } },
            };
        }
    }

    public void Replace(BsonDocument document) => _documents[document["_id"]] = document;

    /// <summary>The stored document with this <c>_id</c> (live), or null; for <c>fullDocument: "updateLookup"</c>.
    /// </summary>
    public BsonDocument? Get(BsonValue id) => _documents.TryGetValue(id, out BsonDocument? document) ? document : null;

    public bool Remove(BsonValue id) => _documents.Remove(id);
}

/// <summary>What MongoDB refuses to store, as far as the product's tests need it.</summary>
internal static class StorageRules
{
    /// <summary>
    /// Rejects top-level <c>$</c>-prefixed field names, empty or NUL-containing names at any depth
    /// (code 52, the real server's "not valid for storage" error) and an array <c>_id</c> (53).
    /// </summary>
    public static void Validate(BsonDocument document)
    {
        foreach (BsonElement element in document)
        {
            if (element.Name.StartsWith('$'))
            {
                throw new MongoServerError(ErrorCodes.DollarPrefixedFieldName,
                    $"The dollar ($) prefixed field '{element.Name}' in '{element.Name}' is not valid for storage.");
            }
        }

        ValidateNames(document, "");
        if (document.TryGetValue("_id", out BsonValue id) && id.IsBsonArray)
        {
            throw new MongoServerError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type array");
        }
    }

    private static void ValidateNames(BsonValue value, string path)
    {
        IEnumerable<(string Name, BsonValue Value)> children = value switch
        {
            BsonDocument d => d.Select(e => (e.Name, e.Value)),
            BsonArray a => a.Select((v, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), v)),
            _ => [],
        };
        foreach ((string name, BsonValue child) in children)
        {
            string childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new MongoServerError(ErrorCodes.DollarPrefixedFieldName,
                    $"The empty or NUL-containing field name at '{childPath}' is not valid for storage.");
            }

            ValidateNames(child, childPath);
        }
    }

    /// <summary>MongoDB stores <c>_id</c> first and generates an ObjectId when it is absent.</summary>
    public static BsonDocument WithIdFirst(BsonDocument document)
    {
        if (!document.TryGetValue("_id", out BsonValue id))
        {
            document.InsertAt(0, new BsonElement("_id", ObjectId.GenerateNewId()));
        }
        else if (document.GetElement(0).Name != "_id")
        {
            document.Remove("_id");
            document.InsertAt(0, new BsonElement("_id", id));
        }

        return document;
    }
}
