using System.Buffers.Binary;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>One decoded request: the command document plus what the reply needs to know.</summary>
internal sealed record WireRequest(int RequestId, int OpCode, BsonDocument Command, bool MoreToCome);

/// <summary>
/// Framing for the two request formats the driver uses: legacy <c>OP_QUERY</c> (only for the
/// first <c>isMaster</c>/<c>hello</c> of a connection) answered with <c>OP_REPLY</c>, and
/// <c>OP_MSG</c> for everything else. All integers are little-endian.
/// </summary>
internal static class WireProtocol
{
    public const int OpReply = 1;
    public const int OpQuery = 2004;
    public const int OpMsg = 2013;

    private const int HeaderLength = 16;
    private const int MaxMessageLength = 48_000_000; // what we advertise as maxMessageSizeBytes
    private const uint ChecksumPresent = 1u << 0;
    private const uint MoreToCome = 1u << 1;

    /// <summary>Reads one message; null on a clean end of stream between messages.</summary>
    public static async Task<WireRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[HeaderLength];
        int read = await stream.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderLength)
        {
            throw new EndOfStreamException("connection closed inside a message header");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        int requestId = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        int opCode = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        if (length is < HeaderLength or > MaxMessageLength)
        {
            throw new InvalidDataException($"invalid messageLength {length}");
        }

        byte[] body = new byte[length - HeaderLength];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return opCode switch
        {
            OpQuery => ParseQuery(requestId, body),
            OpMsg => ParseMsg(requestId, body),
            _ => throw new InvalidDataException($"unsupported opCode {opCode} (OP_COMPRESSED is never negotiated)"),
        };
    }

    /// <summary>OP_QUERY: flags, fullCollectionName ("admin.$cmd"), skip, numberToReturn, query[, fields].</summary>
    private static WireRequest ParseQuery(int requestId, byte[] body)
    {
        int position = 4; // flags: nothing in them matters for a command
        string collectionName = ReadCString(body, ref position);
        position += 8; // numberToSkip, numberToReturn
        BsonDocument command = ReadDocument(body, ref position);

        // Legacy drivers wrap the command as {$query: {...}, $readPreference: ...}.
        if (command.TryGetValue("$query", out BsonValue inner) && inner is BsonDocument unwrapped)
        {
            command = unwrapped;
        }

        int dot = collectionName.IndexOf('.', StringComparison.Ordinal);
        if (!command.Contains("$db"))
        {
            command["$db"] = dot > 0 ? collectionName[..dot] : "admin";
        }

        return new WireRequest(requestId, OpQuery, command, MoreToCome: false);
    }

    /// <summary>
    /// OP_MSG: flagBits, then sections until the end (or the CRC-32C, which we skip unchecked).
    /// Kind 0 is the command body; each kind 1 is a document sequence that we fold into the body
    /// as an array under its identifier (e.g. <c>documents</c>, <c>updates</c>, <c>deletes</c>).
    /// </summary>
    private static WireRequest ParseMsg(int requestId, byte[] body)
    {
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(body);
        int end = body.Length - ((flags & ChecksumPresent) != 0 ? 4 : 0);
        int position = 4;
        BsonDocument? command = null;
        var sequences = new List<BsonElement>();
        while (position < end)
        {
            byte kind = body[position++];
            if (kind == 0)
            {
                command = ReadDocument(body, ref position);
            }
            else if (kind == 1)
            {
                int sectionEnd = position + BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
                position += 4;
                string identifier = ReadCString(body, ref position);
                var documents = new BsonArray();
                while (position < sectionEnd)
                {
                    documents.Add(ReadDocument(body, ref position));
                }

                sequences.Add(new BsonElement(identifier, documents));
            }
            else
            {
                throw new InvalidDataException($"unknown OP_MSG section kind {kind}");
            }
        }

        if (command is null)
        {
            throw new InvalidDataException("OP_MSG without a kind 0 section");
        }

        foreach (BsonElement sequence in sequences)
        {
            command[sequence.Name] = sequence.Value;
        }

        return new WireRequest(requestId, OpMsg, command, (flags & MoreToCome) != 0);
    }

    /// <summary>Encodes the reply in the format matching the request: OP_REPLY for OP_QUERY, else OP_MSG kind 0.</summary>
    public static byte[] EncodeReply(WireRequest request, int replyId, BsonDocument reply)
    {
        byte[] document = reply.ToBson();
        bool legacy = request.OpCode == OpQuery;
        int prefixLength = legacy ? 20 : 5; // OP_REPLY: flags, cursorID, startingFrom, numberReturned; OP_MSG: flags, kind
        byte[] message = new byte[HeaderLength + prefixLength + document.Length];
        Span<byte> span = message;
        BinaryPrimitives.WriteInt32LittleEndian(span, message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], replyId);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], request.RequestId);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], legacy ? OpReply : OpMsg);
        if (legacy)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[32..], 1); // numberReturned; other fields stay 0
        }

        // OP_MSG: flagBits 0 and section kind 0 are already zero bytes.
        document.CopyTo(span[(HeaderLength + prefixLength)..]);
        return message;
    }

    private static BsonDocument ReadDocument(byte[] buffer, ref int position)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position));
        if (length < 5 || position + length > buffer.Length)
        {
            throw new InvalidDataException($"BSON document length {length} runs past the message");
        }

        // The serializer directly, not BsonSerializer.Deserialize: half the cost per document,
        // which shows on bulk writes of many thousand statements.
        using var reader = new BsonBinaryReader(new MemoryStream(buffer, position, length, writable: false));
        position += length;
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
    }

    private static string ReadCString(byte[] buffer, ref int position)
    {
        int terminator = Array.IndexOf(buffer, (byte)0, position);
        if (terminator < 0)
        {
            throw new InvalidDataException("unterminated cstring");
        }

        string value = Encoding.UTF8.GetString(buffer, position, terminator - position);
        position = terminator + 1;
        return value;
    }
}
