using System.Text;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Reads the frames a subscribed RESP2 connection receives — <c>*3</c> arrays of (<c>message</c> | <c>smessage</c>,
/// channel, payload) and (<c>subscribe</c> | <c>ssubscribe</c>, channel, count) — without allocating: the caller
/// gets ranges into its own buffer. This is the simulation's hot path (up to hundreds of thousands of messages a
/// second on a shared 2-core machine), where the general <see cref="RespProtocol"/> reader would allocate strings.
/// </summary>
internal static class PushFrameReader
{
    /// <summary>One frame from the start of <paramref name="buffer"/>; false while it is incomplete.</summary>
    /// <exception cref="InvalidDataException">An error reply (e.g. <c>-MOVED</c>) or another shape.</exception>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out PushKind kind, out Range channel, out Range payload,
        out int consumed)
    {
        kind = PushKind.Other;
        channel = payload = default;
        consumed = 0;
        var position = 0;
        if (!TryLine(buffer, ref position, out var header))
        {
            return false;
        }

        if (buffer[0] != (byte)'*' || header.End.Value - header.Start.Value != 1 || buffer[1] != (byte)'3')
        {
            throw new InvalidDataException($"Unexpected frame on a subscribed connection: '{Printable(buffer)}'.");
        }

        if (!TryElement(buffer, ref position, out var type) || !TryElement(buffer, ref position, out channel)
            || !TryElement(buffer, ref position, out payload))
        {
            return false;
        }

        var name = buffer[type];
        kind = name.SequenceEqual("smessage"u8) || name.SequenceEqual("message"u8) ? PushKind.Message
            : name.SequenceEqual("ssubscribe"u8) || name.SequenceEqual("subscribe"u8) ? PushKind.Subscribed
            : PushKind.Other;
        consumed = position;
        return true;
    }

    // A bulk string ($<n>\r\n<bytes>\r\n) or an integer (:<n>\r\n, the subscription count).
    private static bool TryElement(ReadOnlySpan<byte> buffer, ref int position, out Range value)
    {
        value = default;
        var start = position;
        if (!TryLine(buffer, ref position, out var line))
        {
            return false;
        }

        if (buffer[start] == (byte)':')
        {
            value = line;
            return true;
        }

        if (buffer[start] != (byte)'$')
        {
            throw new InvalidDataException($"Unexpected element in a push frame: '{Printable(buffer[start..])}'.");
        }

        var length = (int)RespProtocol.Number(buffer[line]);
        if (buffer.Length < position + length + 2)
        {
            return false;
        }

        value = position..(position + length);
        position += length + 2;
        return true;
    }

    // The line at position (its type byte left out of the range); position moves past its \r\n.
    private static bool TryLine(ReadOnlySpan<byte> buffer, ref int position, out Range line)
    {
        line = default;
        if (position >= buffer.Length)
        {
            return false;
        }

        if (buffer[position] == (byte)'-')
        {
            var errorEnd = buffer[position..].IndexOf("\r\n"u8);
            return errorEnd >= 0
                ? throw new InvalidDataException($"Redis: {Printable(buffer.Slice(position + 1, errorEnd - 1))}")
                : false;
        }

        var end = buffer[position..].IndexOf("\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        line = (position + 1)..(position + end);
        position += end + 2;
        return true;
    }

    private static string Printable(ReadOnlySpan<byte> bytes) =>
        Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 200)])
            .Replace("\r\n", "\\r\\n", StringComparison.Ordinal);
}
