using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Applies the <c>u</c> of an update statement. Two shapes, as in MongoDB: a replacement
/// document (no <c>$</c> keys) or an operator document using <c>$set $unset $inc
/// $setOnInsert</c> on (dotted) paths. Also builds the document an upsert inserts.
/// </summary>
internal static class UpdateApplier
{
    /// <summary>Classifies <c>u</c>; rejects pipelines and documents that mix operators with plain fields.</summary>
    public static bool IsOperatorUpdate(BsonValue update)
    {
        if (update is not BsonDocument document)
        {
            throw MongoServerError.BadValue("pipeline-style updates are not supported by the MongoDB wire test server");
        }

        if (!QueryMatcher.IsOperatorDocument(document))
        {
            return false;
        }

        BsonElement plain = document.FirstOrDefault(e => !e.Name.StartsWith('$'));
        if (plain.Name is not null)
        {
            throw MongoServerError.BadValue($"Unknown modifier: {plain.Name}. Expected a valid update modifier");
        }

        return true;
    }

    /// <summary>The updated copy of <paramref name="existing"/>; the stored document is never touched.</summary>
    public static BsonDocument Update(BsonDocument existing, BsonDocument update, bool isOperatorUpdate)
    {
        BsonDocument result;
        if (isOperatorUpdate)
        {
            result = existing.DeepClone().AsBsonDocument;
            ApplyOperators(result, update, isInsert: false);
        }
        else
        {
            result = update.DeepClone().AsBsonDocument;
            if (result.TryGetValue("_id", out BsonValue newId) && !BsonOrder.ValueEquals(newId, existing["_id"]))
            {
                throw new MongoServerError(ErrorCodes.ImmutableField,
                    $"After applying the update, the (immutable) field '_id' was found to have been altered to _id: {newId}");
            }

            result.Remove("_id");
            result.InsertAt(0, new BsonElement("_id", existing["_id"]));
        }

        if (!result.TryGetValue("_id", out BsonValue id) || !BsonOrder.ValueEquals(id, existing["_id"]))
        {
            throw new MongoServerError(ErrorCodes.ImmutableField,
                "Performing an update on the path '_id' would modify the immutable field '_id'");
        }

        return result;
    }

    /// <summary>
    /// The document an upsert inserts when nothing matched: the query's equality fields (for an
    /// operator update) or the replacement, with <c>_id</c> taken from the query when the
    /// update does not set it, else a new ObjectId. Colliding with an existing <c>_id</c> is the
    /// caller's duplicate key error, exactly as on a real server.
    /// </summary>
    public static BsonDocument BuildUpsert(BsonDocument query, BsonDocument update, bool isOperatorUpdate)
    {
        var seed = new BsonDocument();
        SeedEqualities(seed, query);
        BsonDocument result;
        if (isOperatorUpdate)
        {
            result = seed;
            ApplyOperators(result, update, isInsert: true);
        }
        else
        {
            result = update.DeepClone().AsBsonDocument;
            if (!result.Contains("_id") && seed.TryGetValue("_id", out BsonValue queryId))
            {
                result.InsertAt(0, new BsonElement("_id", queryId));
            }
        }

        return StorageRules.WithIdFirst(result);
    }

    private static void SeedEqualities(BsonDocument seed, BsonDocument query)
    {
        foreach (BsonElement clause in query)
        {
            if (clause.Name == "$and" && clause.Value is BsonArray parts)
            {
                foreach (BsonDocument part in parts.OfType<BsonDocument>())
                {
                    SeedEqualities(seed, part);
                }
            }
            else if (clause.Name.StartsWith('$'))
            {
                continue; // $or/$nor say nothing definite about the new document.
            }
            else if (!QueryMatcher.IsOperatorDocument(clause.Value))
            {
                SetPath(seed, clause.Name, clause.Value.DeepClone());
            }
            else if (clause.Value.AsBsonDocument.TryGetValue("$eq", out BsonValue eq))
            {
                SetPath(seed, clause.Name, eq.DeepClone());
            }
            else if (clause.Value.AsBsonDocument.TryGetValue("$in", out BsonValue inValues) && inValues is BsonArray { Count: 1 } single)
            {
                SetPath(seed, clause.Name, single[0].DeepClone());
            }
        }
    }

    private static void ApplyOperators(BsonDocument target, BsonDocument update, bool isInsert)
    {
        foreach (BsonElement op in update)
        {
            if (op.Value is not BsonDocument fields)
            {
                throw MongoServerError.BadValue($"Modifiers operate on fields but we found type {op.Value.BsonType} instead: {{{op.Name}: {op.Value}}}");
            }

            foreach (BsonElement field in fields)
            {
                switch (op.Name)
                {
                    case "$set":
                        SetPath(target, field.Name, field.Value.DeepClone());
                        break;
                    case "$setOnInsert":
                        if (isInsert)
                        {
                            SetPath(target, field.Name, field.Value.DeepClone());
                        }

                        break;
                    case "$unset":
                        Unset(target, field.Name);
                        break;
                    case "$inc":
                        Increment(target, field);
                        break;
                    default:
                        throw MongoServerError.BadValue($"Unknown modifier: {op.Name} (the MongoDB wire test server supports $set, $unset, $inc, $setOnInsert)");
                }
            }
        }
    }

    private static void Increment(BsonDocument target, BsonElement field)
    {
        if (!field.Value.IsNumeric)
        {
            throw new MongoServerError(ErrorCodes.TypeMismatch, $"Cannot increment with non-numeric argument: {{{field.Name}: {field.Value}}}");
        }

        List<BsonValue> current = QueryMatcher.PathValues(target, field.Name);
        if (current.Count == 0)
        {
            SetPath(target, field.Name, field.Value);
            return;
        }

        if (!current[0].IsNumeric)
        {
            throw new MongoServerError(ErrorCodes.TypeMismatch,
                $"Cannot apply $inc to a value of non-numeric type. The field '{field.Name}' has non-numeric type {current[0].BsonType}");
        }

        SetPath(target, field.Name, Add(current[0], field.Value));
    }

    /// <summary>MongoDB's numeric promotion: int+int stays int unless it overflows, then long; any double gives double.</summary>
    private static BsonValue Add(BsonValue a, BsonValue b)
    {
        if (a.IsDecimal128 || b.IsDecimal128)
        {
            return new BsonDecimal128(new Decimal128(Decimal128.ToDecimal(a.ToDecimal128()) + Decimal128.ToDecimal(b.ToDecimal128())));
        }

        if (a.IsDouble || b.IsDouble)
        {
            return new BsonDouble(a.ToDouble() + b.ToDouble());
        }

        long sum = a.ToInt64() + b.ToInt64();
        return a.IsInt32 && b.IsInt32 && sum is >= int.MinValue and <= int.MaxValue ? new BsonInt32((int)sum) : new BsonInt64(sum);
    }

    /// <summary>Sets a dotted path, creating intermediate documents; refuses to walk through a scalar.</summary>
    public static void SetPath(BsonDocument target, string path, BsonValue value)
    {
        string[] parts = SplitPath(path);
        BsonValue current = target;
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            if (current is BsonDocument document)
            {
                if (last)
                {
                    document[parts[i]] = value;
                    return;
                }

                if (!document.TryGetValue(parts[i], out BsonValue next))
                {
                    next = new BsonDocument();
                    document[parts[i]] = next;
                }

                current = next;
            }
            else if (current is BsonArray array && int.TryParse(parts[i], out int index) && index >= 0)
            {
                while (array.Count <= index)
                {
                    array.Add(last ? BsonNull.Value : new BsonDocument());
                }

                if (last)
                {
                    array[index] = value;
                    return;
                }

                current = array[index];
            }
            else
            {
                throw new MongoServerError(ErrorCodes.PathNotViable,
                    $"Cannot create field '{parts[i]}' in element {{{parts[i - 1]}: {current}}}");
            }
        }
    }

    private static void Unset(BsonDocument target, string path)
    {
        string[] parts = SplitPath(path);
        BsonValue current = target;
        for (int i = 0; i < parts.Length - 1 && current is not null; i++)
        {
            current = current switch
            {
                BsonDocument d => d.GetValue(parts[i], null),
                BsonArray a when int.TryParse(parts[i], out int index) && index >= 0 && index < a.Count => a[index],
                _ => null!,
            };
        }

        if (current is BsonDocument document)
        {
            document.Remove(parts[^1]);
        }
        else if (current is BsonArray array && int.TryParse(parts[^1], out int position) && position >= 0 && position < array.Count)
        {
            array[position] = BsonNull.Value; // MongoDB keeps array positions stable on $unset.
        }
    }

    private static string[] SplitPath(string path)
    {
        string[] parts = path.Split('.');
        if (Array.Exists(parts, p => p.Length == 0))
        {
            throw MongoServerError.BadValue($"An empty update path is not valid: '{path}'");
        }

        // A leading "$x" is a plain (if unstorable) name: storage validation rejects it with 52.
        if (parts.Skip(1).Any(p => p.StartsWith('$')))
        {
            throw MongoServerError.BadValue($"positional and $-prefixed update paths are not supported by the MongoDB wire test server: '{path}'");
        }

        return parts;
    }
}
