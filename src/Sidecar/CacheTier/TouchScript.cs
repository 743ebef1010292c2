using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Touch: moves a live entry's logical expiry and its Redis TTL, in one step, without rewriting the
/// value (its version, data and fill lease stay as they are).
/// </summary>
internal static class TouchScript
{
    // KEYS: entry, generation. ARGV: now (unix ms), new expiry (unix ms), physical ttl ms.
    // Returns 1 touched, 0 when there is no live entry of the current generation (absent, a floor,
    // expired, or a cached "not found").
    private static readonly string Text = $$"""
        local now, expiresAt, ttl = ARGV[1], ARGV[2], ARGV[3]
        local g = redis.call('GET', KEYS[2]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Generation}}', '{{EntryHash.ExpiresAt}}',
          '{{EntryHash.Negative}}')
        if cur[1] ~= g or not cur[2] or tonumber(cur[2]) <= tonumber(now) or cur[3] == '1' then return 0 end
        redis.call('HSET', KEYS[1], '{{EntryHash.ExpiresAt}}', expiresAt)
        redis.call('PEXPIRE', KEYS[1], ttl)
        return 1
        """;

    public static async Task<bool> RunAsync(IDatabase db, EntryKeys keys, long nowMs, long expiresAtMs,
        long physicalTtlMs)
    {
        var touched = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Generation],
            [nowMs, expiresAtMs, physicalTtlMs]).ConfigureAwait(false);
        return (int)touched == 1;
    }
}
