using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>Pure-cache delete, optionally only when the live entry is at the if-match version.</summary>
internal static class DeleteIfMatchScript
{
    // KEYS: entry, lease, generation. ARGV: if-match version ('' = none).
    // Returns -1 when if-match does not hold, 1 when a live entry was removed, 0 when there was none.
    private static readonly string Text = $$"""
        local ifMatch = ARGV[1]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}')
        local live = cur[1] and cur[2] == g and cur[3] ~= '1'
        if ifMatch ~= '' and (not live or tonumber(cur[1]) ~= tonumber(ifMatch)) then return -1 end
        redis.call('DEL', KEYS[1], KEYS[2])
        if live then return 1 end
        return 0
        """;

    public static async Task<(bool PreconditionFailed, bool Deleted)> RunAsync(IDatabase db, EntryKeys keys,
        long? ifMatch)
    {
        var outcome = (int)await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [ifMatch is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty])
            .ConfigureAwait(false);
        return (outcome < 0, outcome == 1);
    }
}
