using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Pure-cache put: the cache is the record, so it assigns the version max(now, current + 1),
/// optionally only when the live entry is at the if-match version, or only when there is no live,
/// unexpired value (create-if-absent: one step, so of concurrent creators exactly one wins).
/// </summary>
internal static class PutAssigningVersionScript
{
    // KEYS: entry, lease, generation. ARGV: now (unix µs), if-match version ('' = none), expires,
    // content type, data, physical ttl ms, if absent ('1'/'0'), tag generations ('' = untagged), the
    // version of a tagged entry whose tags the caller found current ('' = none).
    // Returns the new version; -1 when if-match or if-absent does not hold; -9 when a condition would
    // rely on a tagged entry whose tags were not checked (RedisCacheTier checks them and runs it again).
    private static readonly string Text = $$"""
        local now, ifMatch, expiresAt, contentType, data, ttl, ifAbsent, tags, trusted =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}', '{{EntryHash.ExpiresAt}}', '{{EntryHash.Tags}}')
        local curv = 0
        local live = cur[1] and cur[2] == g and cur[3] ~= '1'
        if cur[1] and cur[2] == g then curv = tonumber(cur[1]) end
        local conditional = ifMatch ~= '' or ifAbsent == '1'
        if conditional and live and (cur[5] or '') ~= '' and cur[1] ~= trusted then return -9 end
        if ifMatch ~= '' and (not live or curv ~= tonumber(ifMatch)) then return -1 end
        if ifAbsent == '1' and live and tonumber(cur[4]) * 1000 > tonumber(now) then return -1 end
        local v = math.max(tonumber(now), curv + 1)
        redis.call('DEL', KEYS[2])
        redis.call('DEL', KEYS[1])
        {{EntryHash.Write("KEYS[1]", "string.format('%.0f', v)", "g", "expiresAt", "contentType", "data", "'0'",
            "tags")}}
        redis.call('PEXPIRE', KEYS[1], ttl)
        return v
        """;

    /// <returns>The result; null when the tags of the entry a condition relies on must be checked first.</returns>
    public static async Task<CacheWriteResult?> RunAsync(
        IDatabase db, EntryKeys keys, long nowMicros, long? ifMatch, bool ifAbsent, CacheEntry entry,
        long physicalTtlMs, string tagGenerations, string trusted)
    {
        var version = (long)await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [
                nowMicros, ifMatch is { } v ? v : string.Empty, entry.ExpiresAt.ToUnixTimeMilliseconds(),
                entry.ContentType, entry.Value, physicalTtlMs, ifAbsent ? "1" : "0", tagGenerations, trusted,
            ]).ConfigureAwait(false);
        return version switch
        {
            -9 => null,
            < 0 => new CacheWriteResult(PreconditionFailed: true, 0),
            _ => new CacheWriteResult(false, version),
        };
    }
}
