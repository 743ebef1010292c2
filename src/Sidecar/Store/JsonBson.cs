using System.Globalization;
using System.Text.Json;
using MongoDB.Bson;

namespace CacheSidecar.Store;

/// <summary>
/// Converts JSON values to native BSON and back, so JSON values live in MongoDB as real documents
/// other services can query. Written by hand instead of <c>BsonDocument.Parse</c> because that
/// parser accepts MongoDB extended JSON (<c>{"$date": …}</c>, <c>ObjectId(…)</c>) and would
/// silently change a caller's plain JSON.
/// </summary>
internal static class JsonBson
{
    public static BsonValue ToBson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToDocument(element),
        JsonValueKind.Array => new BsonArray(element.EnumerateArray().Select(ToBson)),
        JsonValueKind.String => new BsonString(element.GetString()),
        JsonValueKind.Number => ToNumber(element),
        JsonValueKind.True => BsonBoolean.True,
        JsonValueKind.False => BsonBoolean.False,
        _ => BsonNull.Value,
    };

    public static BsonDocument ToDocument(JsonElement element)
    {
        var document = new BsonDocument(allowDuplicateNames: true);
        foreach (var property in element.EnumerateObject())
        {
            document.Add(property.Name, ToBson(property.Value));
        }

        return document;
    }

    private static BsonValue ToNumber(JsonElement element)
    {
        if (element.TryGetInt32(out var int32))
        {
            return new BsonInt32(int32);
        }

        if (element.TryGetInt64(out var int64))
        {
            return new BsonInt64(int64);
        }

        // Keep integers beyond long and exact decimals exact; plain fractions become doubles.
        var raw = element.GetRawText();
        if (!raw.Contains('e', StringComparison.OrdinalIgnoreCase)
            && decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var dec)
            && raw.Length > 17)
        {
            return new BsonDecimal128(dec);
        }

        return new BsonDouble(element.GetDouble());
    }

    public static void Write(Utf8JsonWriter writer, BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Document:
                writer.WriteStartObject();
                foreach (var element in value.AsBsonDocument)
                {
                    writer.WritePropertyName(element.Name);
                    Write(writer, element.Value);
                }

                writer.WriteEndObject();
                break;
            case BsonType.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsBsonArray)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case BsonType.String: writer.WriteStringValue(value.AsString); break;
            case BsonType.Int32: writer.WriteNumberValue(value.AsInt32); break;
            case BsonType.Int64: writer.WriteNumberValue(value.AsInt64); break;
            case BsonType.Double: writer.WriteNumberValue(value.AsDouble); break;
            case BsonType.Decimal128: writer.WriteNumberValue((decimal)value.AsDecimal128); break;
            case BsonType.Boolean: writer.WriteBooleanValue(value.AsBoolean); break;
            case BsonType.Null: writer.WriteNullValue(); break;
            // Values other services wrote with richer BSON types read as their canonical string form.
            case BsonType.ObjectId: writer.WriteStringValue(value.AsObjectId.ToString()); break;
            case BsonType.DateTime:
                writer.WriteStringValue(value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }
}
