using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Touch: moves a live entry's logical expiry and its Redis TTL, in one step, without rewriting the
/// value (its version, data and fill lease stay as they are).
/// </summary>
internal static class TouchScript
{
    // KEYS: entry, generation. ARGV: now (unix ms), new expiry (unix ms), physical ttl ms, the version of
    // a tagged entry whose tags the caller found current ('' = none).
    // Returns 1 touched, 0 when there is no live entry of the current generation (absent, a floor,
    // expired, or a cached "not found"), -9 when the entry is tagged and its tags were not checked.
    private static readonly string Text = $$"""
        local now, expiresAt, ttl, trusted = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local g = redis.call('GET', KEYS[2]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Generation}}', '{{EntryHash.ExpiresAt}}',
          '{{EntryHash.Negative}}', '{{EntryHash.Tags}}', '{{EntryHash.Version}}', '{{PendingHash.Marker}}')
        if cur[1] ~= g or not cur[2] or tonumber(cur[2]) <= tonumber(now) or cur[3] == '1' then return 0 end
        if (cur[4] or '') ~= '' and cur[5] ~= trusted then return -9 end
        redis.call('HSET', KEYS[1], '{{EntryHash.ExpiresAt}}', expiresAt)
        -- A pending write keeps no expiry until its flush, which sets it from the new expiry.
        if cur[6] ~= '1' then redis.call('PEXPIRE', KEYS[1], ttl) end
        return 1
        """;

    /// <returns>Whether it touched; null when the tags of the entry must be checked first.</returns>
    public static async Task<bool?> RunAsync(IDatabase db, EntryKeys keys, long nowMs, long expiresAtMs,
        long physicalTtlMs, string trusted)
    {
        var touched = (int)await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Generation],
            [nowMs, expiresAtMs, physicalTtlMs, trusted]).ConfigureAwait(false);
        return touched == -9 ? null : touched == 1;
    }
}
