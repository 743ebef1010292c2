using System.Runtime.CompilerServices;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Evaluates a MongoDB query filter against a document. Supported: implicit AND of fields,
/// equality on (dotted) paths, <c>$eq $ne $gt $gte $lt $lte $in $nin $exists $not</c>, and
/// <c>$and $or $nor</c>. Anything else is a BadValue error, never a silent mismatch.
/// </summary>
internal static class QueryMatcher
{
    private static readonly ConditionalWeakTable<BsonArray, HashSet<BsonValue>> InSets = new();

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

    /// <summary>Parses the filter once against an empty document so syntax errors surface even on empty collections.</summary>
    public static void Validate(BsonDocument filter) => Matches(new BsonDocument(), filter);

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
