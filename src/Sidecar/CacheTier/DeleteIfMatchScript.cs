using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>Pure-cache delete, optionally only when the live entry is at the if-match version.</summary>
internal static class DeleteIfMatchScript
{
    // KEYS: entry, lease, generation. ARGV: if-match version ('' = none), the version of a tagged entry
    // whose tags the caller found current ('' = none).
    // Returns -1 when if-match does not hold, 1 when a live entry was removed, 0 when there was none,
    // -9 when the live entry is tagged and its tags were not checked.
    private static readonly string Text = $$"""
        local ifMatch, trusted = ARGV[1], ARGV[2]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}', '{{EntryHash.Tags}}')
        local live = cur[1] and cur[2] == g and cur[3] ~= '1'
        if live and (cur[4] or '') ~= '' and cur[1] ~= trusted then return -9 end
        if ifMatch ~= '' and (not live or tonumber(cur[1]) ~= tonumber(ifMatch)) then return -1 end
        redis.call('DEL', KEYS[1], KEYS[2])
        if live then return 1 end
        return 0
        """;

    /// <returns>The outcome; null when the tags of the live entry must be checked first.</returns>
    public static async Task<(bool PreconditionFailed, bool Deleted)?> RunAsync(IDatabase db, EntryKeys keys,
        long? ifMatch, string trusted)
    {
        var outcome = (int)await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [ifMatch is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty, trusted])
            .ConfigureAwait(false);
        return outcome == -9 ? null : (outcome < 0, outcome == 1);
    }
}
