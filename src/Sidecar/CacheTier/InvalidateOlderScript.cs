using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The change-stream watcher's invalidation: drops the entry and its fill lease unless the cache
/// already holds the changed version or a newer one (the sidecar's own write, already applied to
/// the cache). A change of unknown version (another service's write) always invalidates.
/// </summary>
internal static class InvalidateOlderScript
{
    // KEYS: entry, lease, generation. ARGV: the change's version, or '' when unknown.
    // Returns 1 invalidated, 0 skipped (the cache holds this or a newer version).
    private static readonly string Text = $$"""
        local version = ARGV[1]
        if version ~= '' then
          local g = redis.call('GET', KEYS[3]) or '0'
          local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}')
          if cur[1] and cur[2] == g and tonumber(cur[1]) >= tonumber(version) then return 0 end
        end
        redis.call('DEL', KEYS[1], KEYS[2])
        return 1
        """;

    public static async Task<bool> RunAsync(IDatabase db, EntryKeys keys, long? version)
    {
        var result = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [version is { } v ? v : RedisValue.EmptyString]).ConfigureAwait(false);
        return (int)result == 1;
    }
}
