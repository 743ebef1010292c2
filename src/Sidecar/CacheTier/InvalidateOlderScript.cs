using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The change-stream watcher's invalidation: drops the entry and its fill lease unless the cache
/// already holds the changed version or a newer one (the sidecar's own write, already applied to
/// the cache). A change of unknown version (another service's write) always invalidates. What it
/// drops leaves a <see cref="VersionFloor"/>.
/// </summary>
internal static class InvalidateOlderScript
{
    // KEYS: entry, lease, generation. ARGV: the change's version, or '' when unknown; floor lifetime ms.
    // Returns 1 invalidated, 0 skipped (the cache holds this or a newer version). An invalidated
    // entry leaves the newer of its version and the change's as a version floor.
    private static readonly string Text = $$"""
        local version = ARGV[1]
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}')
        if version ~= '' then
          local g = redis.call('GET', KEYS[3]) or '0'
          if cur[1] and cur[2] == g and tonumber(cur[1]) >= tonumber(version) then return 0 end
        end
        local floor = cur[1]
        if version ~= '' and (not floor or tonumber(version) > tonumber(floor)) then floor = version end
        redis.call('DEL', KEYS[2])
        if floor then
          {{EntryHash.WriteFloor("KEYS[1]", "floor", "ARGV[2]")}}
        end
        return 1
        """;

    public static async Task<bool> RunAsync(IDatabase db, EntryKeys keys, long? version)
    {
        var result = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [version is { } v ? v : RedisValue.EmptyString, (long)VersionFloor.Lifetime.TotalMilliseconds])
            .ConfigureAwait(false);
        return (int)result == 1;
    }
}
