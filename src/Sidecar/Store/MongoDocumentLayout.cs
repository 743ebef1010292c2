using System.Text.Json;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using MongoDB.Bson;

namespace CacheSidecar.Store;

/// <summary>
/// How a record is laid out as a MongoDB document (see docs/architecture.md):
/// <code>
/// { _id: key,                        // string, or ObjectId when the namespace says so
///   ...fields of a JSON object...,   // _cs.enc = "document": the value *is* the document
///   value: any BSON value,           // _cs.enc = "value": JSON that is not a plain object
///   data: BinData,                   // _cs.enc = "binary": any other content type
///   _cs: { v: long, ct: string, enc: string,      // the sidecar's reserved metadata
///          tags: [string] } }                      // only when written with tags (InvalidateTags)
/// </code>
/// A deleted key is a tombstone: <c>{ _id, _cs: { v, d: true, purgeAt: Date } }</c>. It keeps the
/// delete's version so that no older write can land after it, reads treat it as absent, and a TTL
/// index on <c>_cs.purgeAt</c> removes it after the namespace's <c>TombstoneRetention</c>.
/// </summary>
internal static class MongoDocumentLayout
{
    public const string MetaField = "_cs";
    public const string VersionPath = "_cs.v";
    public const string DeletedPath = "_cs.d";
    public const string PurgeAtPath = "_cs.purgeAt";
    public const string TagsField = "tags";
    public const string TagsPath = "_cs.tags";
    private const string EncDocument = "document";
    private const string EncValue = "value";
    private const string EncBinary = "binary";

    public static BsonValue ToId(NamespacePolicy ns, string key) =>
        ns.IdType == IdType.ObjectId ? ObjectId.Parse(key) : new BsonString(key);

    public static string FromId(BsonValue id) => id.IsObjectId ? id.AsObjectId.ToString() : id.ToString()!;

    /// <summary>
    /// A tombstone: the key's id and the delete's version, nothing a reader could mistake for a value.
    /// </summary>
    public static BsonDocument Tombstone(NamespacePolicy ns, string key, long version, DateTimeOffset purgeAt) =>
        new()
        {
            { "_id", ToId(ns, key) },
            {
                MetaField,
                new BsonDocument { { "v", version }, { "d", true }, { "purgeAt", purgeAt.UtcDateTime } }
            },
        };

    public static bool IsTombstone(BsonDocument document) =>
        document.TryGetValue(MetaField, out var meta)
            && meta.IsBsonDocument
            && meta.AsBsonDocument.TryGetValue("d", out var deleted)
            && deleted.ToBoolean();

    /// <summary>The version of a value or tombstone; 0 for a document another service wrote.</summary>
    public static long VersionOf(BsonDocument document) =>
        document.TryGetValue(MetaField, out var meta)
            && meta.IsBsonDocument
            && meta.AsBsonDocument.TryGetValue("v", out var v)
            && v.IsNumeric
                ? v.ToInt64()
                : 0L;

    public static BsonDocument ToDocument(NamespacePolicy ns, string key, StoredRecord record)
    {
        var meta = new BsonDocument { { "v", record.Version }, { "ct", record.ContentType } };
        if (record.Tags is { Count: > 0 } tags)
        {
            meta.Add(TagsField, new BsonArray(tags));
        }

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

    public static StoredRecord ToRecord(BsonDocument document)
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
        var tags = meta is not null && meta.TryGetValue(TagsField, out var tagArray) && tagArray is BsonArray array
            ? array.Where(tag => tag.IsString).Select(tag => tag.AsString).ToArray()
            : null;

        if (encoding == EncBinary)
        {
            return new StoredRecord(
                document.GetValue("data", new BsonBinaryData([])).AsBsonBinaryData.Bytes,
                contentType,
                version,
                tags);
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

        return new StoredRecord(buffer.WrittenMemory, contentType, version, tags);
    }

}
