using CacheSidecar.Core;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Pure-cache Increment in one step: reads the live entry (none, expired or a cached "not found"
/// counts as 0), adds exactly (<see cref="CounterLua"/>), and writes the sum as a new version with the
/// given expiry, like a Put. A value that is not a counter, or a sum beyond int64, writes nothing.
/// </summary>
internal static class IncrementScript
{
    // KEYS: entry, lease, generation, scratch. ARGV: now (unix µs), delta, expires (unix ms),
    // physical ttl ms, the version of a tagged entry whose tags the caller found current ('' = none).
    // Returns {1, sum, version}; {-1} not a counter; {-2} overflow; {-9} the live entry is tagged and
    // its tags were not checked.
    private static readonly string Text = $$"""
        local now, delta, expiresAt, ttl, trusted = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        {{CounterLua.Functions}}
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}', '{{EntryHash.ExpiresAt}}', '{{EntryHash.ContentType}}', '{{EntryHash.Data}}',
          '{{EntryHash.Tags}}')
        local curv, digits, contentType = 0, '0', '{{Counter.ContentType}}'
        if cur[1] and cur[2] == g then
          curv = tonumber(cur[1])
          if cur[3] ~= '1' and tonumber(cur[4]) * 1000 > tonumber(now) then
            if (cur[7] or '') ~= '' and cur[1] ~= trusted then return {-9} end
            digits = counterOf(cur[6], cur[5])
            if not digits then return {-1} end
            contentType = cur[5]
          end
        end
        local sum, refusal = addTo(KEYS[4], digits, delta, -1, -2)
        if not sum then return {refusal} end
        local vs = string.format('%.0f', math.max(tonumber(now), curv + 1))
        redis.call('DEL', KEYS[2])
        redis.call('DEL', KEYS[1])
        {{EntryHash.Write("KEYS[1]", "vs", "g", "expiresAt", "contentType", "sum", "'0'", "''")}}
        redis.call('PEXPIRE', KEYS[1], ttl)
        return {1, sum, vs}
        """;

    /// <returns>The result; null when the tags of the live entry must be checked first.</returns>
    public static async Task<CounterWriteResult?> RunAsync(IDatabase db, EntryKeys keys, long nowMicros, long delta,
        DateTimeOffset expiresAt, long physicalTtlMs, string trusted)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation, keys.Scratch],
            [nowMicros, delta, expiresAt.ToUnixTimeMilliseconds(), physicalTtlMs, trusted]).ConfigureAwait(false))!;
        return result switch
        {
            [_, var sum, var version] => new CounterWriteResult(
                IncrementStatus.Applied, long.Parse((string)sum!, System.Globalization.CultureInfo.InvariantCulture),
                long.Parse((string)version!, System.Globalization.CultureInfo.InvariantCulture)),
            [var refusal] when (int)refusal == -9 => null,
            [var refusal] when (int)refusal == -1 => new CounterWriteResult(IncrementStatus.NotACounter),
            _ => new CounterWriteResult(IncrementStatus.Overflow),
        };
    }
}
