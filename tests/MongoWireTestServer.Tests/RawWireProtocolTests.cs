using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// Framing cases the driver never produces (checksum flag, hand-built sequences, garbage),
/// sent byte by byte over a raw socket.
/// </summary>
public sealed class RawWireProtocolTests : IAsyncLifetime
{
    private readonly MongoWireServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _server.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OP_MSG_with_checksum_and_a_document_sequence_is_understood()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _server.Port, Ct);
        NetworkStream stream = client.GetStream();
        var body = new BsonDocument { { "insert", "raw" }, { "$db", "wire" } };
        BsonDocument[] documents = [new BsonDocument("_id", 1), new BsonDocument("_id", 2)];

        await stream.WriteAsync(OpMsg(requestId: 41, flags: 1, body, ("documents", documents), checksum: true), Ct);
        (int responseTo, BsonDocument reply) = await ReadOpMsgAsync(stream);

        Assert.Equal(41, responseTo);
        Assert.Equal(BsonDocument.Parse("{ n: 2, ok: 1.0 }"), reply);
    }

    [Fact]
    public async Task Garbage_closes_only_that_connection()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", _server.Port, Ct);
            byte[] garbage = new byte[32];
            BinaryPrimitives.WriteInt32LittleEndian(garbage, 32);
            BinaryPrimitives.WriteInt32LittleEndian(garbage.AsSpan(12), 9999); // no such opCode
            await client.GetStream().WriteAsync(garbage, Ct);
            Assert.Equal(0, await client.GetStream().ReadAsync(new byte[16], Ct)); // server hung up
        }

        using var healthy = new TcpClient();
        await healthy.ConnectAsync("127.0.0.1", _server.Port, Ct);
        await healthy.GetStream().WriteAsync(OpMsg(7, 0, new BsonDocument { { "ping", 1 }, { "$db", "admin" } }), Ct);
        Assert.Equal(1.0, (await ReadOpMsgAsync(healthy.GetStream())).Reply["ok"].ToDouble());
    }

    private static byte[] OpMsg(int requestId, uint flags, BsonDocument body, (string Id, BsonDocument[] Docs)? sequence = null, bool checksum = false)
    {
        using var payload = new MemoryStream();
        payload.WriteByte(0);
        payload.Write(body.ToBson());
        if (sequence is { } s)
        {
            byte[] id = Encoding.UTF8.GetBytes(s.Id + "\0");
            byte[][] docs = s.Docs.Select(d => d.ToBson()).ToArray();
            payload.WriteByte(1);
            payload.Write(BitConverter.GetBytes(4 + id.Length + docs.Sum(d => d.Length)));
            payload.Write(id);
            foreach (byte[] doc in docs)
            {
                payload.Write(doc);
            }
        }

        int length = 16 + 4 + (int)payload.Length + (checksum ? 4 : 0);
        byte[] message = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(message, length);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(12), 2013);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), flags);
        payload.ToArray().CopyTo(message, 20); // the trailing CRC stays zero: the server skips it unchecked
        return message;
    }

    private static async Task<(int ResponseTo, BsonDocument Reply)> ReadOpMsgAsync(NetworkStream stream)
    {
        byte[] header = new byte[16];
        await stream.ReadExactlyAsync(header, Ct);
        Assert.Equal(2013, BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)));
        byte[] rest = new byte[BinaryPrimitives.ReadInt32LittleEndian(header) - 16];
        await stream.ReadExactlyAsync(rest, Ct);
        Assert.Equal(0, rest[4]); // section kind 0
        return (BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)), BsonSerializer.Deserialize<BsonDocument>(rest.AsSpan(5).ToArray()));
    }
}
