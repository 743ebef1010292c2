using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Fills an entry after a store load, only under the loader's live lease: dropped when an
/// invalidation or a newer write killed the lease, or the partition generation moved since the
/// lease was taken (memcache-style leases, DESIGN §4).
/// <para>
/// A dropped fill (or a loader without a lease) still leaves the loaded version behind as a
/// <see cref="VersionFloor"/> where the slot holds nothing newer: the loader is about to serve that
/// version, so a write-through cache step of an older version that arrives later (its store write
/// was overtaken by the one the loader read) must not install a value older than one a reader has
/// already seen (reads never go back in time). A floor is never served, so this cannot make a read
/// stale; an older live entry it replaces was already behind the store.
/// </para>
/// </summary>
internal static class FillScript
{
    // KEYS: entry, lease, generation. ARGV: token, version, expires (unix ms), content type, data,
    // negative (0/1), physical ttl ms, check lease ('1'; '0' only for the checker's broken variant),
    // tag generations ('' = untagged), floor lifetime ms. Token '' = no lease: only the floor.
    // Returns 1 filled, 0 dropped.
    private static readonly string Text = $$"""
        local token, version, expiresAt, contentType, data, negative, ttl, checkLease, tags =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}')
        if token == '' or (checkLease == '1' and redis.call('GET', KEYS[2]) ~= token .. ':' .. g) then
          if negative == '0' and (not cur[1] or tonumber(cur[1]) < tonumber(version)) then
            {{EntryHash.WriteFloor("KEYS[1]", "version", "ARGV[10]")}}
          end
          return 0
        end
        redis.call('DEL', KEYS[2])
        if cur[1] and cur[2] == g and tonumber(cur[1]) > tonumber(version) then return 0 end
        redis.call('DEL', KEYS[1])
        {{EntryHash.Write("KEYS[1]", "version", "g", "expiresAt", "contentType", "data", "negative", "tags")}}
        redis.call('PEXPIRE', KEYS[1], ttl)
        return 1
        """;

    /// <param name="checkLease">False only for <c>UnsafeDisableFillLeaseCheckForTesting</c>: the
    /// memcache stale-set bug, which the consistency checker must detect.</param>
    /// <param name="leaseToken">The loader's lease, or null when it has none (only the floor is kept).</param>
    public static async Task<bool> RunAsync(
        IDatabase db, EntryKeys keys, string? leaseToken, CacheEntry entry, long physicalTtlMs, bool checkLease,
        string tagGenerations)
    {
        var filled = await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation],
            [
                leaseToken ?? string.Empty, entry.Version, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value,
                entry.IsNegative ? 1 : 0, physicalTtlMs, checkLease ? "1" : "0", tagGenerations,
                (long)VersionFloor.Lifetime.TotalMilliseconds,
            ]).ConfigureAwait(false);
        return (int)filled == 1;
    }
}
