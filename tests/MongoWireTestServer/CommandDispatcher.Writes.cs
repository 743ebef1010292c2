using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Write commands: insert, update, delete (one reply with per-statement <c>writeErrors</c>,
/// indexed within the command; <c>ordered: false</c> goes on after an error) and findAndModify
/// (a single statement, so its errors are command errors).
/// </summary>
internal sealed partial class CommandDispatcher
{
    private BsonDocument Insert(string db, BsonDocument command)
    {
        CollectionData data = _store.GetOrCreate(db, command[0].AsString, out _);
        BsonArray documents = command["documents"].AsBsonArray;
        bool bypass = BypassesValidation(command);
        int inserted = 0;
        BsonArray errors = RunStatements(command, documents.Count, i =>
        {
            // The command document is ours alone (freshly decoded), so it can be stored as is.
            BsonDocument document = StorageRules.WithIdFirst(documents[i].AsBsonDocument);
            CheckStorable(data, document, bypass);
            data.Insert(document);
            _store.Changes.RecordInsert(data, document);
            inserted++;
        });
        return WriteReply(new BsonDocument("n", inserted), errors);
    }

    private BsonDocument Update(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        BsonArray updates = command["updates"].AsBsonArray;
        bool bypass = BypassesValidation(command);
        int matched = 0, modified = 0;
        var upserted = new BsonArray();
        BsonArray errors = RunStatements(command, updates.Count, i =>
        {
            BsonDocument statement = updates[i].AsBsonDocument;
            BsonDocument query = statement["q"].AsBsonDocument;
            bool isOperatorUpdate = UpdateApplier.IsOperatorUpdate(statement["u"]);
            BsonDocument update = statement["u"].AsBsonDocument;
            bool multi = statement.GetValue("multi", false).ToBoolean();
            if (multi && !isOperatorUpdate)
            {
                throw MongoServerError.BadValue("multi update is not supported for replacement-style update");
            }

            RejectUnsupportedOptions(statement, "arrayFilters", "collation");
            List<BsonDocument> targets = Query(db, collection, query, []);
            if (targets.Count == 0)
            {
                if (statement.GetValue("upsert", false).ToBoolean())
                {
                    BsonDocument document = UpdateApplier.BuildUpsert(query, update, isOperatorUpdate);
                    CollectionData target = _store.GetOrCreate(db, collection, out _);
                    CheckStorable(target, document, bypass);
                    target.Insert(document);
                    _store.Changes.RecordInsert(target, document);
                    matched++;
                    upserted.Add(new BsonDocument { { "index", i }, { "_id", document["_id"] } });
                }

                return;
            }

            CollectionData data = _store.Find(db, collection)!;
            foreach (BsonDocument existing in multi ? targets : targets.Take(1))
            {
                BsonDocument updated = UpdateApplier.Update(existing, update, isOperatorUpdate);
                StorageRules.Validate(updated);
                bool changed = !SameBytes(existing, updated);
                if (changed)
                {
                    CheckValidator(data, updated, bypass);
                }

                matched++;
                if (changed)
                {
                    data.Replace(updated);
                    RecordUpdate(data, existing, updated, update, isOperatorUpdate);
                    modified++;
                }
            }
        });

        var reply = new BsonDocument { { "n", matched }, { "nModified", modified } };
        if (upserted.Count > 0)
        {
            reply["upserted"] = upserted;
        }

        return WriteReply(reply, errors);
    }

    private BsonDocument Delete(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        BsonArray deletes = command["deletes"].AsBsonArray;
        int deleted = 0;
        BsonArray errors = RunStatements(command, deletes.Count, i =>
        {
            BsonDocument statement = deletes[i].AsBsonDocument;
            RejectUnsupportedOptions(statement, "collation");
            int limit = statement.GetValue("limit", 0).ToInt32();
            if (limit is not (0 or 1))
            {
                throw MongoServerError.BadValue("The limit field in delete objects must be 0 or 1");
            }

            List<BsonDocument> targets = Query(db, collection, statement["q"].AsBsonDocument, []);
            CollectionData? data = _store.Find(db, collection);
            foreach (BsonDocument target in limit == 1 ? targets.Take(1) : targets)
            {
                data!.Remove(target["_id"]);
                _store.Changes.RecordDelete(data, target["_id"]);
                deleted++;
            }
        });
        return WriteReply(new BsonDocument("n", deleted), errors);
    }

    /// <summary>FindOneAndUpdate/Replace/Delete: query, sort, update or remove, new, upsert, fields.</summary>
    private BsonDocument FindAndModify(string db, BsonDocument command)
    {
        string collection = command[0].AsString;
        BsonDocument query = DocumentOrEmpty(command, "query");
        BsonDocument fields = DocumentOrEmpty(command, "fields");
        bool remove = command.GetValue("remove", false).ToBoolean();
        bool upsert = command.GetValue("upsert", false).ToBoolean();
        bool returnNew = command.GetValue("new", false).ToBoolean();
        BsonValue? updateValue = command.GetValue("update", null);
        if (remove == (updateValue is not null) || (remove && upsert))
        {
            throw MongoServerError.BadValue("findAndModify needs exactly one of 'update' and 'remove: true' (and no upsert with remove)");
        }

        RejectUnsupportedOptions(command, "arrayFilters", "collation");
        bool bypass = BypassesValidation(command);
        BsonDocument? target = Query(db, collection, query, DocumentOrEmpty(command, "sort")).FirstOrDefault();
        var lastError = new BsonDocument("n", target is null ? 0 : 1);
        BsonDocument? value = null;
        if (remove)
        {
            if (target is not null)
            {
                CollectionData data = _store.Find(db, collection)!;
                data.Remove(target["_id"]);
                _store.Changes.RecordDelete(data, target["_id"]);
                value = target;
            }
        }
        else
        {
            bool isOperatorUpdate = UpdateApplier.IsOperatorUpdate(updateValue!);
            BsonDocument update = updateValue!.AsBsonDocument;
            lastError["updatedExisting"] = target is not null;
            if (target is not null)
            {
                BsonDocument updated = UpdateApplier.Update(target, update, isOperatorUpdate);
                StorageRules.Validate(updated);
                CollectionData data = _store.Find(db, collection)!;
                if (!SameBytes(target, updated))
                {
                    CheckValidator(data, updated, bypass);
                    data.Replace(updated);
                    RecordUpdate(data, target, updated, update, isOperatorUpdate);
                }

                value = returnNew ? updated : target;
            }
            else if (upsert)
            {
                BsonDocument document = UpdateApplier.BuildUpsert(query, update, isOperatorUpdate);
                CollectionData data = _store.GetOrCreate(db, collection, out _);
                CheckStorable(data, document, bypass);
                data.Insert(document);
                _store.Changes.RecordInsert(data, document);
                lastError["n"] = 1;
                lastError["upserted"] = document["_id"];
                value = returnNew ? document : null;
            }
        }

        return Ok(new BsonDocument
        {
            { "lastErrorObject", lastError },
            { "value", value is null ? BsonNull.Value : Project(value, fields) },
        });
    }

    /// <summary>An operator update is an <c>update</c> change event, a replacement a <c>replace</c>, as on MongoDB.
    /// </summary>
    private void RecordUpdate(
        CollectionData data, BsonDocument before, BsonDocument after, BsonDocument update, bool isOperatorUpdate)
    {
        if (isOperatorUpdate)
        {
            _store.Changes.RecordUpdate(data, before, after, update);
        }
        else
        {
            _store.Changes.RecordReplace(data, after);
        }
    }

    /// <summary>Runs each statement; a failed one becomes a writeErrors entry. Ordered writes stop at the first error.</summary>
    private static BsonArray RunStatements(BsonDocument command, int count, Action<int> statement)
    {
        bool ordered = command.GetValue("ordered", true).ToBoolean();
        var errors = new BsonArray();
        for (int i = 0; i < count; i++)
        {
            try
            {
                statement(i);
            }
            catch (Exception error) when (error is MongoServerError or InvalidCastException or KeyNotFoundException)
            {
                MongoServerError serverError = error as MongoServerError
                    ?? MongoServerError.BadValue($"malformed write statement {i}: {error.Message}");
                var entry = new BsonDocument
                {
                    { "index", i },
                    { "code", serverError.Code },
                    { "codeName", ErrorCodes.Name(serverError.Code) },
                    { "errmsg", serverError.Message },
                };
                errors.Add(serverError.Details is null ? entry : entry.Merge(serverError.Details));
                if (ordered)
                {
                    break;
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// What every new document goes through before it is inserted: the storage rules, then the
    /// collection's validator. Both come before the unique <c>_id</c> check, as on the real server,
    /// so an invalid upsert whose <c>_id</c> exists fails with 121, not 11000.
    /// </summary>
    private static void CheckStorable(CollectionData data, BsonDocument document, bool bypassValidation)
    {
        StorageRules.Validate(document);
        CheckValidator(data, document, bypassValidation);
    }

    /// <summary>
    /// The validator check alone, for updated documents. Callers skip it when the update changed
    /// nothing: MongoDB writes (and so validates) only modified documents, which lets a no-op
    /// update pass on a document stored before the validator was set.
    /// </summary>
    private static void CheckValidator(CollectionData data, BsonDocument document, bool bypassValidation)
    {
        if (!bypassValidation)
        {
            data.Validation.Check(document);
        }
    }

    /// <summary><c>bypassDocumentValidation: true</c> (insert, update, findAndModify) skips the validator, as on MongoDB.</summary>
    private static bool BypassesValidation(BsonDocument command) =>
        command.GetValue("bypassDocumentValidation", false).ToBoolean();

    private static BsonDocument WriteReply(BsonDocument reply, BsonArray writeErrors)
    {
        if (writeErrors.Count > 0)
        {
            reply["writeErrors"] = writeErrors;
        }

        return Ok(reply);
    }

    private static void RejectUnsupportedOptions(BsonDocument statement, params string[] options)
    {
        foreach (string option in options.Where(statement.Contains))
        {
            throw MongoServerError.BadValue($"'{option}' is not supported by the MongoDB wire test server");
        }
    }

    /// <summary>Byte equality, so a type change (1 → 1L) counts as a modification, as it does for MongoDB's nModified.</summary>
    private static bool SameBytes(BsonDocument a, BsonDocument b) => a.ToBson().AsSpan().SequenceEqual(b.ToBson());
}
