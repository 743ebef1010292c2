using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Drops a key's entry and fill lease (Invalidate, and the invalidation after a cache-aside write),
/// leaving the entry's version behind as a <see cref="VersionFloor"/>.
/// </summary>
internal static class InvalidateScript
{
    // KEYS: entry, lease. ARGV: floor lifetime ms (at least). Returns 1 when a live entry or a
    // lease was dropped, else 0.
    private static readonly string Text = $$"""
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}')
        local dropped = redis.call('DEL', KEYS[2])
        if not cur[1] then return dropped end
        {{EntryHash.WriteFloor("KEYS[1]", "cur[1]", "ARGV[1]")}}
        if cur[2] ~= '{{EntryHash.FloorGeneration}}' then dropped = 1 end
        return dropped
        """;

    public static async Task<bool> RunAsync(IDatabase db, EntryKeys keys)
    {
        var dropped = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease],
            [(long)VersionFloor.Lifetime.TotalMilliseconds]).ConfigureAwait(false);
        return (int)dropped == 1;
    }
}
