using System.Runtime.CompilerServices;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Evaluates a MongoDB query filter against a document. Supported: implicit AND of fields,
/// equality on (dotted) paths, <c>$eq $ne $gt $gte $lt $lte $in $nin $exists $type $not</c>, and
/// <c>$and $or $nor</c>. Anything else is a BadValue error, never a silent mismatch.
/// </summary>
internal static class QueryMatcher
{
    private static readonly ConditionalWeakTable<BsonArray, HashSet<BsonValue>> InSets = new();
    private static readonly ConditionalWeakTable<BsonValue, HashSet<BsonType>> TypeSets = new();

    public static bool Matches(BsonDocument document, BsonDocument filter)
    {
        foreach (BsonElement clause in filter)
        {
            if (!MatchesClause(document, clause))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Checks the whole filter's syntax, as the real server parses it before matching anything:
    /// errors surface even on an empty collection, and a collection validator with an unsupported
    /// operator is refused by <c>create</c> instead of failing every later write. Unlike
    /// <see cref="Matches"/>, this never stops at the first clause that does not match.
    /// </summary>
    public static void Validate(BsonDocument filter)
    {
        foreach (BsonElement clause in filter)
        {
            if (clause.Name is "$and" or "$or" or "$nor")
            {
                foreach (BsonDocument subFilter in SubFilters(clause))
                {
                    Validate(subFilter);
                }
            }
            else
            {
                // Matching one clause against an empty document evaluates each of its operators.
                MatchesClause([], clause);
            }
        }
    }

    private static bool MatchesClause(BsonDocument document, BsonElement clause)
    {
        switch (clause.Name)
        {
            case "$and":
                return SubFilters(clause).All(f => Matches(document, f));
            case "$or":
                // Evaluate every branch (no short cut) so an invalid branch is reported even after a match.
                return SubFilters(clause).Select(f => Matches(document, f)).ToList().Contains(true);
            case "$nor":
                return !SubFilters(clause).Select(f => Matches(document, f)).ToList().Contains(true);
            case "$comment":
                return true;
        }

        if (clause.Name.StartsWith('$'))
        {
            throw MongoServerError.BadValue($"unknown top level operator: {clause.Name} (not supported by the MongoDB wire test server)");
        }

        List<BsonValue> values = PathValues(document, clause.Name);
        if (IsOperatorDocument(clause.Value))
        {
            // Evaluate all operators (no short cut) for the same reason as $or.
            return clause.Value.AsBsonDocument.Select(op => MatchesOperator(values, op)).ToList().TrueForAll(m => m);
        }

        return EqualsAny(values, clause.Value);
    }

    public static bool IsOperatorDocument(BsonValue value) =>
        value is BsonDocument { ElementCount: > 0 } d && d.GetElement(0).Name.StartsWith('$');

    private static IEnumerable<BsonDocument> SubFilters(BsonElement clause)
    {
        if (clause.Value is not BsonArray { Count: > 0 } array || !array.All(v => v.IsBsonDocument))
        {
            throw MongoServerError.BadValue($"{clause.Name} must be a nonempty array of objects");
        }

        return array.Select(v => v.AsBsonDocument);
    }

    private static bool MatchesOperator(List<BsonValue> values, BsonElement op)
    {
        BsonValue operand = op.Value;
        return op.Name switch
        {
            "$eq" => EqualsAny(values, operand),
            "$ne" => !EqualsAny(values, operand),
            "$gt" => CompareAny(values, operand, c => c > 0),
            "$gte" => CompareAny(values, operand, c => c >= 0),
            "$lt" => CompareAny(values, operand, c => c < 0),
            "$lte" => CompareAny(values, operand, c => c <= 0),
            "$in" => InArray(values, op),
            "$nin" => !InArray(values, op),
            "$exists" => (values.Count > 0) == operand.ToBoolean(),
            "$type" => HasType(values, operand),
            "$not" when operand is BsonDocument inner && IsOperatorDocument(inner) =>
                !inner.Select(o => MatchesOperator(values, o)).ToList().TrueForAll(m => m),
            _ => throw MongoServerError.BadValue($"unknown operator: {op.Name} (not supported by the MongoDB wire test server)"),
        };
    }

    private static bool InArray(List<BsonValue> values, BsonElement op)
    {
        if (op.Value is not BsonArray candidates)
        {
            throw MongoServerError.BadValue($"{op.Name} needs an array");
        }

        // The same filter instance is matched against every document: hash its list once.
        HashSet<BsonValue> set = InSets.GetValue(candidates, c => new HashSet<BsonValue>(c, BsonIdComparer.Instance));
        return values.Exists(set.Contains) || (values.Count == 0 && set.Contains(BsonNull.Value));
    }

    /// <summary>
    /// <c>$type</c>: any reached value of a listed type. The path values include an array itself
    /// and its elements, so <c>"array"</c> matches an array field and <c>"int"</c> matches an
    /// array holding an int, as in MongoDB 3.6+. A missing field matches no type.
    /// </summary>
    private static bool HasType(List<BsonValue> values, BsonValue operand)
    {
        HashSet<BsonType> types = TypeSets.GetValue(operand, BsonTypeAliases.Parse);
        return values.Exists(v => types.Contains(v.BsonType));
    }

    /// <summary>Equality as MongoDB does it: null also matches a missing field.</summary>
    private static bool EqualsAny(List<BsonValue> values, BsonValue operand)
    {
        if (operand.IsBsonNull && values.Count == 0)
        {
            return true;
        }

        return values.Exists(v => BsonOrder.ValueEquals(v, operand));
    }

    /// <summary>Range operators only compare within a type bracket, so a missing field or a string never matches <c>{$lt: 5}</c>.</summary>
    private static bool CompareAny(List<BsonValue> values, BsonValue operand, Func<int, bool> accept)
    {
        if (operand.IsBsonNull && values.Count == 0)
        {
            return accept(0); // {$gte: null} and {$lte: null} match a missing field, like equality.
        }

        return values.Exists(v => BsonOrder.SameBracket(v, operand) && accept(BsonOrder.Compare(v, operand)));
    }

    /// <summary>
    /// All values a dotted path reaches. Arrays on the way fan out over their document elements
    /// (or are indexed by a numeric segment); an array at the end contributes itself and each
    /// element, which gives MongoDB's "any element matches" semantics. Empty list = missing.
    /// </summary>
    public static List<BsonValue> PathValues(BsonDocument document, string path)
    {
        var output = new List<BsonValue>();
        Collect(document, path.Split('.'), 0, output);
        return output;
    }

    private static void Collect(BsonValue current, string[] parts, int index, List<BsonValue> output)
    {
        if (index == parts.Length)
        {
            output.Add(current);
            if (current is BsonArray elements)
            {
                output.AddRange(elements);
            }

            return;
        }

        if (current is BsonDocument document)
        {
            if (document.TryGetValue(parts[index], out BsonValue next))
            {
                Collect(next, parts, index + 1, output);
            }
        }
        else if (current is BsonArray array)
        {
            if (int.TryParse(parts[index], out int position) && position >= 0 && position < array.Count)
            {
                Collect(array[position], parts, index + 1, output);
            }

            foreach (BsonDocument element in array.OfType<BsonDocument>())
            {
                Collect(element, parts, index, output);
            }
        }
    }
}

/// <summary>
/// The operand of <c>$type</c>: a BSON type number or string alias, or an array of them, with
/// the real server's names and errors. <c>"number"</c> stands for the four numeric types.
/// </summary>
internal static class BsonTypeAliases
{
    private static readonly BsonType[] Numbers = [BsonType.Double, BsonType.Int32, BsonType.Int64, BsonType.Decimal128];

    private static readonly Dictionary<string, BsonType> Aliases = new(StringComparer.Ordinal)
    {
        ["double"] = BsonType.Double,
        ["string"] = BsonType.String,
        ["object"] = BsonType.Document,
        ["array"] = BsonType.Array,
        ["binData"] = BsonType.Binary,
        ["undefined"] = BsonType.Undefined,
        ["objectId"] = BsonType.ObjectId,
        ["bool"] = BsonType.Boolean,
        ["date"] = BsonType.DateTime,
        ["null"] = BsonType.Null,
        ["regex"] = BsonType.RegularExpression,
        ["javascript"] = BsonType.JavaScript,
        ["symbol"] = BsonType.Symbol,
        ["javascriptWithScope"] = BsonType.JavaScriptWithScope,
        ["int"] = BsonType.Int32,
        ["timestamp"] = BsonType.Timestamp,
        ["long"] = BsonType.Int64,
        ["decimal"] = BsonType.Decimal128,
        ["minKey"] = BsonType.MinKey,
        ["maxKey"] = BsonType.MaxKey,
    };

    public static HashSet<BsonType> Parse(BsonValue operand)
    {
        IEnumerable<BsonValue> entries = operand is BsonArray array ? array : [operand];
        var types = new HashSet<BsonType>();
        foreach (BsonValue entry in entries)
        {
            types.UnionWith(ParseOne(entry));
        }

        return types.Count > 0 ? types : throw MongoServerError.BadValue("$type must match at least one type");
    }

    private static BsonType[] ParseOne(BsonValue entry)
    {
        if (entry.IsString)
        {
            return entry.AsString == "number" ? Numbers
                : Aliases.TryGetValue(entry.AsString, out BsonType type) ? [type]
                : throw MongoServerError.BadValue($"Unknown type name alias: {entry.AsString}");
        }

        if (entry.IsNumeric)
        {
            // BsonType's values are the BSON type numbers. 12 (dbPointer) has no BsonType: accepted, never matches.
            double code = entry.ToDouble();
            bool valid = (code is -1 or 127 or (>= 1 and <= 19)) && code == Math.Floor(code);
            return valid ? [(BsonType)(int)code] : throw MongoServerError.BadValue($"Invalid numerical type code: {entry}");
        }

        throw MongoServerError.BadValue("type must be represented as a number or a string");
    }
}
