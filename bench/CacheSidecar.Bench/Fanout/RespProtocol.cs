using System.Buffers.Text;
using System.Text;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// The few pieces of RESP2 the fan-out simulation needs: encoding a command, and reading one whole reply
/// (simple string, error, integer, bulk string, array, nested) from a buffer that may hold only part of it.
/// Used for the set-up and counter queries; the subscribers' hot path has its own allocation-free reader
/// (<see cref="PushFrameReader"/>).
/// </summary>
internal static class RespProtocol
{
    public static byte[] Encode(params string[] arguments)
    {
        var text = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n")
                .Append(argument).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// One reply from the start of <paramref name="buffer"/>: false while it is incomplete. Values are
    /// <see cref="string"/>, <see cref="long"/>, <see cref="RespErrorReply"/>, <c>object?[]</c> or null (nil).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out object? value, out int consumed)
    {
        value = null;
        consumed = 0;
        var lineEnd = buffer.IndexOf("\r\n"u8);
        if (lineEnd < 1)
        {
            return false;
        }

        var line = buffer[1..lineEnd];
        var afterLine = lineEnd + 2;
        switch (buffer[0])
        {
            case (byte)'+':
                value = Encoding.UTF8.GetString(line);
                consumed = afterLine;
                return true;
            case (byte)'-':
                value = new RespErrorReply(Encoding.UTF8.GetString(line));
                consumed = afterLine;
                return true;
            case (byte)':':
                value = Number(line);
                consumed = afterLine;
                return true;
            case (byte)'$':
                return TryReadBulk(buffer, Number(line), afterLine, out value, out consumed);
            case (byte)'*':
                return TryReadArray(buffer, Number(line), afterLine, out value, out consumed);
            default:
                throw new InvalidDataException($"Unexpected RESP type byte '{(char)buffer[0]}'.");
        }
    }

    public static long Number(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out long number, out var used) && used == digits.Length
            ? number
            : throw new InvalidDataException($"Not a RESP integer: '{Encoding.UTF8.GetString(digits)}'.");

    private static bool TryReadBulk(ReadOnlySpan<byte> buffer, long length, int start, out object? value,
        out int consumed)
    {
        value = null;
        consumed = 0;
        if (length < 0)
        {
            consumed = start;
            return true;
        }

        if (buffer.Length < start + length + 2)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(buffer.Slice(start, (int)length));
        consumed = start + (int)length + 2;
        return true;
    }

    private static bool TryReadArray(ReadOnlySpan<byte> buffer, long count, int start, out object? value,
        out int consumed)
    {
        value = null;
        consumed = 0;
        if (count < 0)
        {
            consumed = start;
            return true;
        }

        var items = new object?[count];
        var position = start;
        for (var i = 0; i < count; i++)
        {
            if (!TryRead(buffer[position..], out items[i], out var used))
            {
                return false;
            }

            position += used;
        }

        value = items;
        consumed = position;
        return true;
    }
}
