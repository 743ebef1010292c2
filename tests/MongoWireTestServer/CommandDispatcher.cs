using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Turns a command document into a reply document. This file: dispatch, the handshake and the
/// administrative commands. Reads, writes and change streams live in the other parts of this class.
/// Every command runs under the store lock, so each one is atomic; a change stream's getMore takes
/// the lock only to read, and waits for new events without it.
/// </summary>
internal sealed partial class CommandDispatcher(InMemoryStore store)
{
    /// <summary>Advertised as MongoDB 6.0 (wire version 17): new enough for driver 3.x, old enough to need nothing exotic.</summary>
    public const int MaxWireVersion = 17;

    private const int MaxBsonObjectSize = 16 * 1024 * 1024;

    private readonly InMemoryStore _store = store;

    /// <summary>The command name is the first element's name, as on the real server.</summary>
    public static string CommandName(BsonDocument command) =>
        command.ElementCount > 0 ? command.GetElement(0).Name : "";

    /// <summary>Handshake commands are never delayed by <c>ResponseDelay</c>, so the driver keeps seeing the server as up.</summary>
    public static bool IsHandshake(string name) => name is "hello" or "isMaster" or "ismaster" or "ping" or "saslStart";

    /// <summary>The user and password <c>saslStart</c> with mechanism PLAIN must present; null accepts any.</summary>
    public (string User, string Password)? PlainCredentials { get; set; }

    public BsonDocument Execute(BsonDocument command, int connectionId)
    {
        string name = CommandName(command);
        try
        {
            string db = command.GetValue("$db", "admin").AsString;
            lock (_store.SyncRoot)
            {
                return name switch
                {
                    "hello" or "isMaster" or "ismaster" => Hello(connectionId),
                    "saslStart" => SaslStartPlain(command),
                    "ping" or "endSessions" => Ok(),
                    "buildInfo" or "buildinfo" => BuildInfo(),
                    "listDatabases" => ListDatabases(command),
                    "listCollections" => ListCollections(db, command),
                    "create" => Create(db, command),
                    "collMod" => CollMod(db, command),
                    "drop" => Drop(db, command),
                    "dropDatabase" => DropDatabase(db),
                    "createIndexes" => CreateIndexes(db, command),
                    "listIndexes" => ListIndexes(db, command),
                    "find" => Find(db, command),
                    "getMore" => GetMore(command),
                    "killCursors" => KillCursors(command),
                    "count" => Count(db, command),
                    "aggregate" => Aggregate(db, command),
                    "insert" => Insert(db, command),
                    "update" => Update(db, command),
                    "delete" => Delete(db, command),
                    "findAndModify" or "findandmodify" => FindAndModify(db, command),
                    _ => throw new MongoServerError(ErrorCodes.CommandNotFound,
                        $"no such command: '{name}' (the MongoDB wire test server supports only the commands listed in its README)"),
                };
            }
        }
        catch (Exception error)
        {
            return ErrorReplyFor(name, error);
        }
    }

    /// <summary>Drops open cursors; called on <c>StopAsync</c>, as a restarted mongod forgets its cursors.</summary>
    public void ForgetCursors()
    {
        lock (_store.SyncRoot)
        {
            _cursors.Clear();
            _changeStreams.Clear();
        }
    }

    private static BsonDocument ErrorReplyFor(string name, Exception error) => error switch
    {
        MongoServerError serverError => ErrorReply(serverError),

        // A field of the wrong type or a missing required field: the client sent a malformed command.
        InvalidCastException or KeyNotFoundException or ArgumentException or FormatException or OverflowException =>
            ErrorReply(MongoServerError.BadValue($"malformed '{name}' command: {error.Message}")),

        // A bug in this server: say so loudly instead of dropping the connection.
        _ => ErrorReply(new MongoServerError(
            ErrorCodes.InternalError, $"MongoDB wire test server failed on '{name}': {error}")),
    };

    private static BsonDocument Ok(BsonDocument? fields = null)
    {
        BsonDocument reply = fields ?? [];
        reply["ok"] = 1.0;
        return reply;
    }

    private static BsonDocument ErrorReply(MongoServerError error)
    {
        var reply = new BsonDocument
        {
            { "ok", 0.0 },
            { "errmsg", error.Message },
            { "code", error.Code },
            { "codeName", ErrorCodes.Name(error.Code) },
        };
        return error.Details is null ? reply : reply.Merge(error.Details);
    }

    // No setName (standalone, so no transactions), no logicalSessionTimeoutMinutes (no sessions,
    // hence no lsid/txnNumber/retryable writes), no topologyVersion (the driver polls instead of
    // streaming hello), no compression.
    private static BsonDocument Hello(int connectionId) => new()
    {
        { "ismaster", true },
        { "isWritablePrimary", true },
        { "helloOk", true },
        { "maxBsonObjectSize", MaxBsonObjectSize },
        { "maxMessageSizeBytes", 48_000_000 },
        { "maxWriteBatchSize", 100_000 },
        { "localTime", DateTime.UtcNow },
        { "connectionId", connectionId },
        { "minWireVersion", 0 },
        { "maxWireVersion", MaxWireVersion },
        { "readOnly", false },
        { "ok", 1.0 },
    };

    /// <summary>
    /// SASL PLAIN (RFC 4616) in one step: the payload is <c>authzid NUL user NUL password</c>. Enough
    /// for a driver to authenticate with <c>authMechanism=PLAIN</c>, so tests can use a connection
    /// string that really carries a password. Other mechanisms (SCRAM) are refused.
    /// </summary>
    private BsonDocument SaslStartPlain(BsonDocument command)
    {
        string mechanism = command.GetValue("mechanism", "").AsString;
        if (mechanism != "PLAIN")
        {
            throw new MongoServerError(ErrorCodes.MechanismUnavailable,
                $"Received authentication for mechanism {mechanism} which is not enabled (the MongoDB wire test server supports PLAIN only)");
        }

        string[] parts = System.Text.Encoding.UTF8.GetString(command["payload"].AsBsonBinaryData.Bytes).Split('\0');
        if (parts.Length != 3 || (PlainCredentials is { } required && (parts[1] != required.User || parts[2] != required.Password)))
        {
            throw new MongoServerError(ErrorCodes.AuthenticationFailed, "Authentication failed.");
        }

        return Ok(new BsonDocument { { "conversationId", 1 }, { "done", true }, { "payload", new BsonBinaryData([]) } });
    }

    private static BsonDocument BuildInfo() => Ok(new BsonDocument
    {
        { "version", "6.0.0" },
        { "versionArray", new BsonArray { 6, 0, 0, 0 } },
        { "gitVersion", "mongo-wire-test-server" },
        { "bits", 64 },
        { "maxBsonObjectSize", MaxBsonObjectSize },
    });

    private BsonDocument ListDatabases(BsonDocument command)
    {
        bool nameOnly = command.GetValue("nameOnly", false).ToBoolean();
        BsonDocument filter = DocumentOrEmpty(command, "filter");
        var databases = new BsonArray();
        foreach (string name in _store.DatabaseNames.ToList())
        {
            // Like MongoDB, a database exists only while it holds a collection.
            if (!_store.Collections(name).Any())
            {
                continue;
            }

            BsonDocument info = nameOnly
                ? new BsonDocument("name", name)
                : new BsonDocument { { "name", name }, { "sizeOnDisk", 0L }, { "empty", false } };
            if (QueryMatcher.Matches(info, filter))
            {
                databases.Add(info);
            }
        }

        return Ok(nameOnly ? new BsonDocument("databases", databases) : new BsonDocument { { "databases", databases }, { "totalSize", 0L } });
    }

    private BsonDocument ListCollections(string db, BsonDocument command)
    {
        bool nameOnly = command.GetValue("nameOnly", false).ToBoolean();
        BsonDocument filter = DocumentOrEmpty(command, "filter");
        var infos = new List<BsonDocument>();
        foreach ((string name, CollectionData data) in _store.Collections(db))
        {
            BsonDocument info = nameOnly
                ? new BsonDocument { { "name", name }, { "type", "collection" } }
                : new BsonDocument
                {
                    { "name", name },
                    { "type", "collection" },
                    { "options", data.Validation.ToOptions() },
                    { "info", new BsonDocument("readOnly", false) },
                };
            if (QueryMatcher.Matches(info, filter))
            {
                infos.Add(info);
            }
        }

        return CursorReply(0, $"{db}.$cmd.listCollections", "firstBatch", infos);
    }

    /// <summary>
    /// Creates an empty collection, optionally with a validator. Like MongoDB 6.0, an existing
    /// collection is error 48 whatever the options (7.0 accepts a repeat with identical options).
    /// </summary>
    private BsonDocument Create(string db, BsonDocument command)
    {
        string collection = command[0].AsString;

        // Parse every option first, so a refused one creates nothing.
        DocumentValidation validation = DocumentValidation.None.With(command);
        if (_store.Find(db, collection) is not null)
        {
            throw new MongoServerError(ErrorCodes.NamespaceExists, $"Collection already exists. NS: {db}.{collection}");
        }

        _store.GetOrCreate(db, collection, out _).Validation = validation;
        return Ok();
    }

    /// <summary>Changes validator, validationLevel and validationAction of an existing collection; nothing else.</summary>
    private BsonDocument CollMod(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        CollectionData data = _store.Find(db, collection)
            ?? throw new MongoServerError(ErrorCodes.NamespaceNotFound, "ns does not exist");

        // The real server does not re-check stored documents: only later writes meet the new validator.
        data.Validation = data.Validation.With(command);
        return Ok();
    }

    private BsonDocument Drop(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        int indexes = _store.Find(db, collection)?.Indexes.Count ?? 0;

        // The real server answers 26 "ns not found"; the driver's DropCollection ignores exactly that.
        if (!_store.Drop(db, collection))
        {
            throw new MongoServerError(ErrorCodes.NamespaceNotFound, "ns not found");
        }

        _store.Changes.RecordDrop(db, collection);
        return Ok(new BsonDocument { { "nIndexesWas", indexes }, { "ns", $"{db}.{collection}" } });
    }

    private BsonDocument DropDatabase(string db)
    {
        // Each collection's change streams see it dropped, then invalidated, as on the real server.
        foreach (string collection in _store.Collections(db).Select(c => c.Key).ToList())
        {
            _store.Changes.RecordDrop(db, collection);
        }

        _store.DropDatabase(db);
        return Ok(new BsonDocument("dropped", db));
    }

    private BsonDocument CreateIndexes(string db, BsonDocument command)
    {
        CollectionData data = _store.GetOrCreate(db, command[0].AsString, out bool created);
        int before = data.Indexes.Count;
        foreach (BsonDocument spec in command["indexes"].AsBsonArray.Select(v => v.AsBsonDocument))
        {
            if (!spec.Contains("key") || !spec.Contains("name"))
            {
                throw MongoServerError.BadValue("index specification needs 'key' and 'name'");
            }

            CheckTtlOption(spec);

            // Recorded only: the test server enforces nothing but the implicit unique _id index
            // (and the TTL monitor reads expireAfterSeconds).
            if (!data.Indexes.Exists(i => i["name"] == spec["name"]))
            {
                data.Indexes.Add(new BsonDocument("v", 2).Merge(spec));
            }
        }

        return Ok(new BsonDocument
        {
            { "numIndexesBefore", before },
            { "numIndexesAfter", data.Indexes.Count },
            { "createdCollectionAutomatically", created },
        });
    }

    /// <summary>
    /// <c>expireAfterSeconds</c> must be a number from 0 to 2^31 - 1 and not on the <c>_id</c> index, as on
    /// the real server; the TTL monitor then reads it from the recorded spec.
    /// </summary>
    private static void CheckTtlOption(BsonDocument spec)
    {
        if (spec.GetValue("expireAfterSeconds", null) is not { } seconds)
        {
            return;
        }

        if (spec["key"] is BsonDocument key && key.Names.SequenceEqual(["_id"]))
        {
            throw new MongoServerError(ErrorCodes.InvalidIndexSpecificationOption,
                "The field 'expireAfterSeconds' is not valid for an _id index specification.");
        }

        if (!seconds.IsNumeric || double.IsNaN(seconds.ToDouble()) || seconds.ToDouble() is < 0 or > int.MaxValue)
        {
            throw new MongoServerError(ErrorCodes.CannotCreateIndex,
                $"TTL index 'expireAfterSeconds' option must be a number from 0 to {int.MaxValue}, got {seconds}");
        }
    }

    private BsonDocument ListIndexes(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        CollectionData data = _store.Find(db, collection)
            ?? throw new MongoServerError(ErrorCodes.NamespaceNotFound, $"ns does not exist: {db}.{collection}");
        return CursorReply(0, $"{db}.{collection}", "firstBatch", data.Indexes.Select(i => i.DeepClone().AsBsonDocument).ToList());
    }

    private static BsonDocument DocumentOrEmpty(BsonDocument command, string field) =>
        command.GetValue(field, BsonNull.Value) is BsonDocument document ? document : [];

    private static BsonDocument CursorReply(long cursorId, string ns, string batchName, List<BsonDocument> batch) => Ok(new BsonDocument
    {
        {
            "cursor", new BsonDocument
            {
                { batchName, new BsonArray(batch) },
                { "id", new BsonInt64(cursorId) },
                { "ns", ns },
            }
        },
    });
}
