using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Replaces the tombstone at a given version, or a value older than the store's, with the store's
/// record: for a tombstone that wrongly hides a value the store holds (see WriteThroughWrites).
/// </summary>
internal static class ReplaceTombstoneScript
{
    // KEYS: entry, lease, generation. ARGV: tombstone version, version, expires, content type,
    // data, physical ttl ms. Returns 1 replaced, 0 left alone.
    private static readonly string Text = $$"""
        local tombstone, version, expiresAt, contentType, data, ttl =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}')
        if not cur[1] or cur[2] ~= g then return 0 end
        local hidden = cur[3] == '1' and cur[1] == tombstone
        local older = cur[3] ~= '1' and tonumber(cur[1]) < tonumber(version)
        if not (hidden or older) then return 0 end
        redis.call('DEL', KEYS[2], KEYS[1])
        {{EntryHash.Write("KEYS[1]", "version", "g", "expiresAt", "contentType", "data", "'0'")}}
        redis.call('PEXPIRE', KEYS[1], ttl)
        return 1
        """;

    public static async Task<bool> RunAsync(
        IDatabase db, EntryKeys keys, long tombstoneVersion, CacheEntry entry, long physicalTtlMs)
    {
        var replaced = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [
                tombstoneVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Version,
                entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value, physicalTtlMs,
            ]).ConfigureAwait(false);
        return (int)replaced == 1;
    }
}
