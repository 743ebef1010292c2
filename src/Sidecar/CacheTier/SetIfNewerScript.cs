using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Version-guarded set (write-through, tombstones): never replaces the same or a newer version,
/// and kills any fill lease, so a loader that read the store before this write cannot fill after it.
/// The guard compares with any version in the slot, also an invalidated entry's
/// (<see cref="VersionFloor"/>) or one of an older generation: the store holds that version or a
/// newer one, so an older set would only install a value the store has already replaced. The same
/// version is refused only from a live entry: a floor the change-stream watcher left at this very
/// write's version (it can see the store's change before the write's own cache step) lets it in.
/// </summary>
internal static class SetIfNewerScript
{
    // KEYS: entry, lease, generation. ARGV: version, expires, content type, data, negative,
    // physical ttl ms, tag generations ('' = untagged). Returns 1 set, 0 refused (the cache holds this
    // or a newer version).
    private static readonly string Text = $$"""
        local version, expiresAt, contentType, data, negative, ttl, tags =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}')
        if cur[1] then
          local held, wanted = tonumber(cur[1]), tonumber(version)
          if held > wanted or (held == wanted and cur[2] == g) then return 0 end
        end
        redis.call('DEL', KEYS[2])
        redis.call('DEL', KEYS[1])
        {{EntryHash.Write("KEYS[1]", "version", "g", "expiresAt", "contentType", "data", "negative", "tags")}}
        redis.call('PEXPIRE', KEYS[1], ttl)
        return 1
        """;

    public static async Task<bool> RunAsync(IDatabase db, EntryKeys keys, CacheEntry entry, long physicalTtlMs,
        string tagGenerations)
    {
        var set = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [
                entry.Version, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value,
                entry.IsNegative ? 1 : 0, physicalTtlMs, tagGenerations,
            ]).ConfigureAwait(false);
        return (int)set == 1;
    }
}
