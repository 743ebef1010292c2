using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Invalidates one tag: its generation becomes max(Redis time in µs, current + 1), a value no entry
/// recorded before (see <see cref="TagGenerations"/>), kept for the namespace's longest entry lifetime.
/// </summary>
internal static class InvalidateTagScript
{
    // KEYS: the tag's generation. ARGV: lifetime ms.
    private const string Text = """
        local lifetime = ARGV[1]
        local t = redis.call('TIME')
        local g = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
        if cur >= g then g = cur + 1 end
        redis.call('SET', KEYS[1], string.format('%.0f', g), 'PX', lifetime)
        return 1
        """;

    public static Task RunAsync(IDatabase db, RedisKey tagGeneration, TimeSpan lifetime) =>
        db.ScriptEvaluateAsync(Text, [tagGeneration], [(long)lifetime.TotalMilliseconds]);
}
