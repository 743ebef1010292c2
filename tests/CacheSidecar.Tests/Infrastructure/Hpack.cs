using System.Text;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// Just enough HPACK (RFC 7541) to speak HTTP/2 by hand: requests are encoded as literal fields
/// without indexing and without Huffman coding (simple and always valid); responses are decoded
/// with the static and dynamic tables. Kestrel does not Huffman-encode, so a Huffman string is
/// reported as an error rather than decoded.
/// </summary>
internal sealed class Hpack
{
    // RFC 7541 Appendix A. Index 1 is the first entry.
    private static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    // The decoder's dynamic table, newest first; one per connection.
    private readonly List<(string Name, string Value)> _dynamic = [];
    private int _maxSize = 4096;

    /// <summary>Literal header fields without indexing, new names, no Huffman (RFC 7541 §6.2.2).</summary>
    public static byte[] Encode(IEnumerable<(string Name, string Value)> headers)
    {
        var block = new List<byte>();
        foreach (var (name, value) in headers)
        {
            block.Add(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        return [.. block];
    }

    /// <summary>Decodes one complete header block.</summary>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new List<(string, string)>();
        var at = 0;
        while (at < block.Length)
        {
            var first = block[at];
            if ((first & 0x80) != 0)
            {
                headers.Add(Entry((int)ReadInteger(block, ref at, 7))); // indexed field
            }
            else if ((first & 0xC0) == 0x40)
            {
                var field = ReadLiteral(block, ref at, 6); // literal with incremental indexing
                headers.Add(field);
                Insert(field);
            }
            else if ((first & 0xE0) == 0x20)
            {
                _maxSize = (int)ReadInteger(block, ref at, 5); // dynamic table size update
                Evict();
            }
            else
            {
                headers.Add(ReadLiteral(block, ref at, 4)); // without indexing (0000) or never indexed (0001)
            }
        }

        return headers;
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int at, int prefixBits)
    {
        var index = (int)ReadInteger(block, ref at, prefixBits);
        var name = index == 0 ? ReadString(block, ref at) : Entry(index).Name;
        return (name, ReadString(block, ref at));
    }

    private (string Name, string Value) Entry(int index) =>
        index <= StaticTable.Length ? StaticTable[index - 1] : _dynamic[index - StaticTable.Length - 1];

    private void Insert((string Name, string Value) field)
    {
        _dynamic.Insert(0, field);
        Evict();
    }

    private void Evict()
    {
        while (_dynamic.Sum(e => 32 + e.Name.Length + e.Value.Length) > _maxSize)
        {
            _dynamic.RemoveAt(_dynamic.Count - 1);
        }
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int at)
    {
        if ((block[at] & 0x80) != 0)
        {
            throw new NotSupportedException("Huffman-coded header string: this test decoder does not implement Huffman.");
        }

        var length = (int)ReadInteger(block, ref at, 7);
        var text = Encoding.ASCII.GetString(block.Slice(at, length));
        at += length;
        return text;
    }

    /// <summary>RFC 7541 §5.1 integer with an N-bit prefix.</summary>
    private static long ReadInteger(ReadOnlySpan<byte> block, ref int at, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        long value = block[at++] & max;
        if (value < max)
        {
            return value;
        }

        var shift = 0;
        byte next;
        do
        {
            next = block[at++];
            value += (long)(next & 0x7F) << shift;
            shift += 7;
        }
        while ((next & 0x80) != 0);
        return value;
    }

    private static void WriteString(List<byte> block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        WriteInteger(block, bytes.Length, 7, 0x00); // H = 0: raw octets
        block.AddRange(bytes);
    }

    private static void WriteInteger(List<byte> block, int value, int prefixBits, byte flags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(flags | value));
            return;
        }

        block.Add((byte)(flags | max));
        value -= max;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        block.Add((byte)value);
    }
}
