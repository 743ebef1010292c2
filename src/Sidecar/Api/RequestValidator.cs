using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Strategies;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CacheSidecar.Api;

/// <summary>
/// Checks every request before anything is read or written, and turns bad input into
/// <c>INVALID_ARGUMENT</c> / <c>NOT_FOUND</c> / <c>FAILED_PRECONDITION</c> with a message that
/// says what to fix. Nothing is written for a request that fails here.
/// </summary>
internal sealed class RequestValidator(NamespaceRegistry namespaces)
{
    /// <summary>Most keys one BatchGet or Invalidate may name.</summary>
    public const int MaxKeysPerCall = 1000;

    /// <summary>Most tags one value may carry.</summary>
    public const int MaxTagsPerValue = 16;

    /// <summary>Longest tag, in UTF-8 bytes.</summary>
    public const int MaxTagBytes = 128;

    private const int MaxContentTypeLength = 255;

    private const int MaxJsonDepth = 64;

    /// <summary>The smallest TTL the cache tier can hold: it counts in milliseconds.</summary>
    private static readonly TimeSpan MinTtl = TimeSpan.FromMilliseconds(1);

    // C0, DEL and C1 (Unicode category Cc). Keys reach log lines and store ids; a newline or an
    // escape sequence in one could forge or garble a log line.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        Enumerable.Range(0, 0xA0).Where(c => char.IsControl((char)c)).Select(c => (char)c).ToArray());

    public NamespacePolicy Namespace(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw Errors.InvalidArgument("namespace is required.");
        }

        return namespaces.TryGet(name, out var policy)
            ? policy
            : throw new RpcException(new Status(
                StatusCode.NotFound,
                $"Unknown namespace '{Printable(name)}'. ListNamespaces shows the configured ones."));
    }

    public static void Key(NamespacePolicy ns, string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw Errors.InvalidArgument("key is required.");
        }

        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > ns.MaxKeyBytes)
        {
            throw Errors.InvalidArgument(
                $"key is {bytes} bytes; namespace '{ns.Name}' allows at most {ns.MaxKeyBytes}.");
        }

        var control = key.AsSpan().IndexOfAny(ControlCharacters);
        if (control >= 0)
        {
            throw Errors.InvalidArgument(
                $"key must not contain control characters (U+{(int)key[control]:X4} at index {control}).");
        }

        if (ns.IdType == IdType.ObjectId && !MongoDB.Bson.ObjectId.TryParse(key, out _))
        {
            throw Errors.InvalidArgument(
                $"namespace '{ns.Name}' uses ObjectId keys: key must be 24 hexadecimal characters.");
        }
    }

    public static void Keys(NamespacePolicy ns, IReadOnlyCollection<string> keys)
    {
        if (keys.Count > MaxKeysPerCall)
        {
            throw Errors.InvalidArgument($"{keys.Count} keys in one call; at most {MaxKeysPerCall} are allowed.");
        }

        foreach (var key in keys)
        {
            Key(ns, key);
        }
    }

    /// <summary>Checks one write (a Put, or an item of a BatchPut) and gives it as the strategies take it.</summary>
    public static WriteRequest Write(NamespacePolicy ns, string key, ByteString value, string contentType,
        Duration? ttl, string ifMatch, string ifNoneMatch, IReadOnlyList<string> tags)
    {
        Key(ns, key);
        var type = ContentType(contentType);
        Value(ns, value, type);
        var ifAbsent = IfNoneMatch(ifNoneMatch);
        if (ifAbsent && !string.IsNullOrEmpty(ifMatch))
        {
            throw Errors.InvalidArgument(
                "Give if_match or if_none_match, not both: a key cannot be both at an etag and absent.");
        }

        var valueTags = Tags(tags, MaxTagsPerValue, "a value may carry");
        return new WriteRequest(key, value.Memory, type, Ttl(ns, ttl), IfMatch(ifMatch), ifAbsent, valueTags);
    }

    /// <summary>
    /// Checks tags (of a value, or to invalidate): at most <paramref name="most"/>, each 1 to
    /// <see cref="MaxTagBytes"/> UTF-8 bytes without control characters. Returns them distinct, in order;
    /// null for none.
    /// </summary>
    public static string[]? Tags(IReadOnlyList<string> tags, int most, string what)
    {
        if (tags.Count > most)
        {
            throw Errors.InvalidArgument($"{tags.Count} tags; {what} at most {most}.");
        }

        foreach (var tag in tags)
        {
            if (string.IsNullOrEmpty(tag))
            {
                throw Errors.InvalidArgument("a tag must not be empty.");
            }

            var bytes = Encoding.UTF8.GetByteCount(tag);
            if (bytes > MaxTagBytes)
            {
                throw Errors.InvalidArgument($"a tag is {bytes} bytes; at most {MaxTagBytes} are allowed.");
            }

            var control = tag.AsSpan().IndexOfAny(ControlCharacters);
            if (control >= 0)
            {
                throw Errors.InvalidArgument(
                    $"a tag must not contain control characters (U+{(int)tag[control]:X4} at index {control}).");
            }
        }

        return tags.Count == 0 ? null : tags.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Empty means unconditional; "*" (as in HTTP's If-None-Match) means create only if absent.</summary>
    public static bool IfNoneMatch(string ifNoneMatch) => ifNoneMatch switch
    {
        "" or null => false,
        "*" => true,
        _ => throw Errors.InvalidArgument(
            $"if_none_match accepts only \"*\" (create if absent), not '{Printable(ifNoneMatch)}'."),
    };

    /// <summary>
    /// Checks a whole BatchPut before anything is written: 1 to <see cref="MaxKeysPerCall"/> items,
    /// each key once, every item as a Put of it would be checked (the message names the item).
    /// </summary>
    public static WriteRequest[] BatchPut(NamespacePolicy ns, IReadOnlyList<Contracts.V1.BatchPutItem> items)
    {
        if (items.Count == 0)
        {
            throw Errors.InvalidArgument("Give at least one item to write.");
        }

        if (items.Count > MaxKeysPerCall)
        {
            throw Errors.InvalidArgument($"{items.Count} items in one call; at most {MaxKeysPerCall} are allowed.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var writes = new WriteRequest[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            try
            {
                if (!seen.Add(item.Key))
                {
                    throw Errors.InvalidArgument("the key is given twice; each key may be written once per call.");
                }

                writes[i] = Write(
                    ns, item.Key, item.Value, item.ContentType, item.Ttl, item.IfMatch, item.IfNoneMatch, item.Tags);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
            {
                throw Errors.InvalidArgument($"Item {i}: {ex.Status.Detail} Nothing was written.");
            }
        }

        return writes;
    }

    public static string ContentType(string contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return ContentTypes.OctetStream;
        }

        if (contentType.Length > MaxContentTypeLength || contentType.Any(c => c < 0x20 || c > 0x7e))
        {
            throw Errors.InvalidArgument(
                $"content_type must be printable ASCII of at most {MaxContentTypeLength} characters.");
        }

        return contentType;
    }

    public static void Value(NamespacePolicy ns, ByteString value, string contentType)
    {
        if (value.Length > ns.MaxValueBytes)
        {
            throw Errors.InvalidArgument(
                $"value is {value.Length} bytes; namespace '{ns.Name}' allows at most {ns.MaxValueBytes}.");
        }

        if (ContentTypes.IsJson(contentType))
        {
            // JSON is UTF-8 (RFC 8259), and the parser does not check the bytes inside strings:
            // without this a bad byte would only surface when a store converts the value.
            if (!Utf8.IsValid(value.Span))
            {
                throw Errors.InvalidArgument($"content_type is {contentType} but value is not valid UTF-8.");
            }

            try
            {
                using var json = JsonDocument.Parse(value.Memory, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
                if (StorableJson.Unstorable(json.RootElement) is { } reason)
                {
                    throw Errors.InvalidArgument(
                        $"content_type is {contentType} but value cannot be stored as a document: {reason}.");
                }
            }
            catch (JsonException ex)
            {
                // Only the position: the parser's own message quotes pieces of the value, and this
                // message is also logged, where values never go.
                throw Errors.InvalidArgument(
                    $"content_type is {contentType} but value is not valid JSON "
                        + $"(or nests deeper than {MaxJsonDepth} levels): "
                        + $"error at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}.");
            }
        }
    }

    public static TimeSpan? Ttl(NamespacePolicy ns, Duration? ttl)
    {
        if (ttl is null)
        {
            return null;
        }

        if (ttl.Seconds < 0 || ttl.Nanos < 0)
        {
            throw Errors.InvalidArgument("ttl must not be negative.");
        }

        if (ttl.Seconds == 0 && ttl.Nanos == 0)
        {
            throw Errors.InvalidArgument("ttl must be positive; leave it unset for the namespace default.");
        }

        if (ttl.Nanos >= 1_000_000_000 || ttl.Seconds > ns.MaxTtl.TotalSeconds)
        {
            throw Errors.InvalidArgument($"ttl must be at most {ns.MaxTtl} for namespace '{ns.Name}'.");
        }

        var value = ttl.ToTimeSpan();
        if (value < MinTtl)
        {
            throw Errors.InvalidArgument(
                "ttl must be at least 1 ms (the cache's resolution); leave it unset for the namespace default.");
        }

        return value <= ns.MaxTtl
            ? value
            : throw Errors.InvalidArgument($"ttl must be at most {ns.MaxTtl} for namespace '{ns.Name}'.");
    }

    /// <summary>Empty means unconditional. An etag this sidecar never issued cannot match anything.</summary>
    public static long? IfMatch(string ifMatch)
    {
        if (string.IsNullOrEmpty(ifMatch))
        {
            return null;
        }

        return Versions.TryParseEtag(ifMatch, out var version)
            ? version
            : throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"if_match '{Printable(ifMatch)}' does not match the current etag."));
    }

    /// <summary>Names from callers go into messages; keep them short and printable.</summary>
    private static string Printable(string text)
    {
        var clipped = text.Length > 64 ? text[..64] + "…" : text;
        return new string(clipped.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
