using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace CacheSidecar.Core;

/// <summary>
/// What an integer counter is, for every tier and store alike: an <c>application/json</c> (or
/// <c>+json</c>) value that is one JSON integer in the int64 range, with optional JSON whitespace
/// around it. Increment creates counters as <c>application/json</c>, so MongoDB holds them as BSON
/// numbers another service can query and <c>$inc</c>.
/// </summary>
internal static class Counter
{
    public const string ContentType = ContentTypes.Json;

    public static bool TryParse(ReadOnlySpan<byte> value, string contentType, out long counter)
    {
        counter = 0;
        if (!ContentTypes.IsJson(contentType))
        {
            return false;
        }

        var digits = value.Trim(" \t\r\n"u8);
        var unsigned = digits.Length > 0 && digits[0] == (byte)'-' ? digits[1..] : digits;
        // JSON forbids leading zeros ("05") and a bare sign; Utf8Parser would accept both.
        var malformed = unsigned.Length == 0
            || (unsigned[0] == (byte)'0' && unsigned.Length > 1)
            || unsigned.ContainsAnyExceptInRange((byte)'0', (byte)'9');
        if (malformed)
        {
            return false;
        }

        return Utf8Parser.TryParse(digits, out counter, out var consumed) && consumed == digits.Length;
    }

    public static byte[] Format(long counter) =>
        Encoding.ASCII.GetBytes(counter.ToString(CultureInfo.InvariantCulture));

    /// <summary>The sum, or null when it would not fit in an int64.</summary>
    public static long? Add(long counter, long delta)
    {
        var sum = unchecked(counter + delta);
        // Overflow iff both operands have the same sign and the sum's sign differs.
        return ((counter ^ sum) & (delta ^ sum)) < 0 ? null : sum;
    }
}
