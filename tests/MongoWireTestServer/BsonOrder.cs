using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// MongoDB's comparison rules for BSON values: a fixed order between type brackets, numbers
/// compared by value whatever their BSON type (1 == 1L == 1.0), everything else within its type.
/// Used by the query matcher, by sort, and as the equality behind the unique <c>_id</c> index.
/// </summary>
internal static class BsonOrder
{
    /// <summary>The canonical type order from the MongoDB manual ("Comparison/Sort Order").</summary>
    private static int Bracket(BsonValue value) => value.BsonType switch
    {
        BsonType.MinKey => 1,
        BsonType.Undefined or BsonType.Null => 2,
        BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128 => 3,
        BsonType.Symbol or BsonType.String => 4,
        BsonType.Document => 5,
        BsonType.Array => 6,
        BsonType.Binary => 7,
        BsonType.ObjectId => 8,
        BsonType.Boolean => 9,
        BsonType.DateTime => 10,
        BsonType.Timestamp => 11,
        BsonType.RegularExpression => 12,
        BsonType.MaxKey => 14,
        _ => 13, // JavaScript and other rarities: after regex, before MaxKey.
    };

    /// <summary>True when MongoDB would compare the two values with $lt/$gt at all.</summary>
    public static bool SameBracket(BsonValue a, BsonValue b) => Bracket(a) == Bracket(b);

    public static bool ValueEquals(BsonValue a, BsonValue b) => Compare(a, b) == 0;

    public static int Compare(BsonValue a, BsonValue b)
    {
        int bracketA = Bracket(a), bracketB = Bracket(b);
        if (bracketA != bracketB)
        {
            return bracketA.CompareTo(bracketB);
        }

        return bracketA switch
        {
            3 => CompareNumbers(a, b),
            4 => string.CompareOrdinal(StringOf(a), StringOf(b)),
            5 => CompareDocuments(a.AsBsonDocument, b.AsBsonDocument),
            6 => CompareArrays(a.AsBsonArray, b.AsBsonArray),
            7 => CompareBinary(a.AsBsonBinaryData, b.AsBsonBinaryData),
            8 => a.AsObjectId.CompareTo(b.AsObjectId),
            9 => a.AsBoolean.CompareTo(b.AsBoolean),
            10 => a.AsBsonDateTime.MillisecondsSinceEpoch.CompareTo(b.AsBsonDateTime.MillisecondsSinceEpoch),
            11 => a.AsBsonTimestamp.Value.CompareTo(b.AsBsonTimestamp.Value),
            12 => string.CompareOrdinal(a.AsBsonRegularExpression.ToString(), b.AsBsonRegularExpression.ToString()),
            13 => string.CompareOrdinal(a.ToString(), b.ToString()),
            _ => 0, // MinKey, MaxKey, null: one value each.
        };
    }

    private static string StringOf(BsonValue value) =>
        value is BsonSymbol symbol ? symbol.Name : value.AsString;

    private static int CompareNumbers(BsonValue a, BsonValue b)
    {
        if (a.IsDecimal128 || b.IsDecimal128)
        {
            return a.ToDecimal128().CompareTo(b.ToDecimal128());
        }

        if (a.IsDouble || b.IsDouble)
        {
            return a.ToDouble().CompareTo(b.ToDouble());
        }

        return a.ToInt64().CompareTo(b.ToInt64());
    }

    private static int CompareDocuments(BsonDocument a, BsonDocument b)
    {
        for (int i = 0; i < Math.Min(a.ElementCount, b.ElementCount); i++)
        {
            BsonElement x = a.GetElement(i), y = b.GetElement(i);
            int result = Bracket(x.Value).CompareTo(Bracket(y.Value));
            if (result == 0)
            {
                result = string.CompareOrdinal(x.Name, y.Name);
            }

            if (result == 0)
            {
                result = Compare(x.Value, y.Value);
            }

            if (result != 0)
            {
                return result;
            }
        }

        return a.ElementCount.CompareTo(b.ElementCount);
    }

    private static int CompareArrays(BsonArray a, BsonArray b)
    {
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            int result = Compare(a[i], b[i]);
            if (result != 0)
            {
                return result;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    private static int CompareBinary(BsonBinaryData a, BsonBinaryData b)
    {
        int result = a.Bytes.Length.CompareTo(b.Bytes.Length);
        if (result == 0)
        {
            result = ((int)a.SubType).CompareTo((int)b.SubType);
        }

        return result != 0 ? result : a.Bytes.AsSpan().SequenceCompareTo(b.Bytes);
    }
}

/// <summary>
/// Equality for the <c>_id</c> index and <c>$in</c> lists, consistent with <see cref="BsonOrder"/>:
/// 1, 1L and 1.0 are the same key, as they are in MongoDB's unique index.
/// </summary>
internal sealed class BsonIdComparer : IEqualityComparer<BsonValue>
{
    public static readonly BsonIdComparer Instance = new();

    public bool Equals(BsonValue? x, BsonValue? y) =>
        x is not null && y is not null && BsonOrder.ValueEquals(x, y);

    public int GetHashCode(BsonValue obj) => obj switch
    {
        _ when obj.IsNumeric => obj.ToDouble().GetHashCode(),
        BsonNull or BsonUndefined => 0,
        BsonString s => string.GetHashCode(s.Value, StringComparison.Ordinal),
        BsonSymbol s => string.GetHashCode(s.Name, StringComparison.Ordinal),
        BsonDocument d => d.Aggregate(17, (h, e) => HashCode.Combine(h, e.Name.GetHashCode(StringComparison.Ordinal), GetHashCode(e.Value))),
        BsonArray a => a.Aggregate(19, (h, v) => HashCode.Combine(h, GetHashCode(v))),
        _ => obj.GetHashCode(),
    };
}
