using System.Globalization;
using System.Text;

namespace CacheSidecar.Bench.Load;

/// <summary>The values and keys every scenario uses, built once so the load loop allocates nothing for them.</summary>
internal static class Payload
{
    public const int ValueBytes = 1024;
    public const string JsonContentType = "application/json";

    /// <summary>
    /// A JSON object of exactly 1 KB (UTF-8), with a few typed fields so the sidecar's JSON validation
    /// and the store's JSON→BSON conversion do representative work, padded by one string field.
    /// </summary>
    public static byte[] JsonValue { get; } = BuildJsonValue();

    /// <summary>Keys "&lt;prefix&gt;000000" … "&lt;prefix&gt;{count-1}", six digits.</summary>
    public static string[] Keys(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}{i:D6}")).ToArray();

    private static byte[] BuildJsonValue()
    {
        const string head = "{\"name\":\"bench\",\"count\":42,\"price\":12.5,\"active\":true,\"tags\":[\"a\",\"b\",\"c\"],\"padding\":\"";
        const string tail = "\"}";
        var padding = new string('x', ValueBytes - head.Length - tail.Length);
        var bytes = Encoding.UTF8.GetBytes(head + padding + tail);
        return bytes.Length == ValueBytes ? bytes : throw new InvalidOperationException($"payload is {bytes.Length} bytes");
    }
}
