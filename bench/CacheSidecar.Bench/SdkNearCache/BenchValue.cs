using System.Text.Json;
using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// The typed value the SDK rows read: the fields of <see cref="Payload.JsonValue"/> (1 KB of JSON), so every
/// <c>GetAsync&lt;T&gt;</c> does the deserialization an application's read does. The invalidation part writes
/// it with <see cref="Count"/> = the write's number, which tells an old answer from the new one.
/// </summary>
internal sealed record BenchValue(string Name, long Count, double Price, bool Active, string[] Tags, string Padding)
{
    /// <summary>The SDK's default serializer settings (<c>SystemTextJsonCacheSerializer</c>: web defaults).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The 1 KB value with <paramref name="count"/> as its count (same size give or take digits).</summary>
    public static byte[] Serialize(long count)
    {
        var value = JsonSerializer.Deserialize<BenchValue>(Payload.JsonValue, Json)!;
        return JsonSerializer.SerializeToUtf8Bytes(value with { Count = count }, Json);
    }
}
