using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// Reads a key and, on a miss or an expired entry, takes the fill lease in the same atomic step.
/// With <c>readPending</c> a key without a fresh entry is served from its write-behind pending write
/// next (cache, then pending, then store), still before any lease is taken: the entry itself while it
/// is marked pending, even when invalidated or of an older generation (decision 0019), else a pending
/// record of the two-record layout that an older sidecar wrote.
/// </summary>
internal static class LookupScript
{
    // KEYS: entry, lease, generation, legacy pending record. ARGV: now (unix ms), lease token ('' = take no
    // lease), lease ttl ms, read pending ('1'/'0'), drop version ('' = none: an entry at this version
    // is dropped, leaving a floor, and the key treated as missing: one of its tags was invalidated),
    // floor lifetime ms.
    // Returns {1, v, x, c, d, n, t} fresh; {3, v, c, d, n} pending; {2, v, x, c, d, n, lease, t}
    // expired; {0, lease} miss. lease: 1 granted, -1 held by another, 0 not requested.
    private static readonly string Text = $$"""
        local now, token, leaseTtl, readPending, dropVersion, floorMin =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local g = redis.call('GET', KEYS[3]) or '0'
        local e = {{EntryHash.ReadAll("KEYS[1]")}}
        local expired = false
        if e[1] and e[2] == g and e[1] == dropVersion then
          {{EntryHash.WriteFloor("KEYS[1]", "e[1]", "floorMin")}}
        elseif e[1] and e[2] == g then
          if tonumber(e[3]) > tonumber(now) then
            return {1, e[1], e[3], e[4] or '', e[5] or '', e[6] or '0', e[7] or ''}
          end
          expired = true
        end
        if readPending == '1' then
          if e[1] and redis.call('HGET', KEYS[1], '{{PendingHash.Marker}}') == '1' then
            return {3, e[1], e[4] or '', e[5] or '', e[6] or '0'}
          end
          local p = redis.call('HMGET', KEYS[4], {{PendingHash.LegacyFields}})
          if p[1] then return {3, p[1], p[2] or '', p[3] or '', p[4] or '0'} end
        end
        local lease = 0
        if token ~= '' then
          if redis.call('SET', KEYS[2], token .. ':' .. g, 'NX', 'PX', leaseTtl) then lease = 1 else lease = -1 end
        end
        if expired then
          return {2, e[1], e[3], e[4] or '', e[5] or '', e[6] or '0', lease, e[7] or ''}
        end
        return {0, lease}
        """;

    /// <param name="dropVersion">Drop the entry if it is at this version (a tag of it was invalidated).</param>
    /// <returns>The lookup, and the tag generations the returned entry recorded ("" when untagged).</returns>
    public static async Task<(CacheLookup Lookup, string TagGenerations)> RunAsync(
        IDatabase db, EntryKeys keys, long nowMs, string? leaseToken, TimeSpan leaseTtl, bool readPending,
        long? dropVersion = null)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation, keys.LegacyPending],
            [
                nowMs, leaseToken ?? string.Empty, (long)leaseTtl.TotalMilliseconds, readPending ? "1" : "0",
                dropVersion is { } drop ? drop : string.Empty, (long)VersionFloor.Lifetime.TotalMilliseconds,
            ])
            .ConfigureAwait(false))!;
        return result switch
        {
            [_, var version, var expiresAt, var contentType, var data, var negative, var tags] => (new CacheLookup(
                LookupState.Hit, Entry(version, (long)expiresAt, contentType, data, negative), LeaseState.NotRequested),
                (string)tags!),
            [_, var version, var contentType, var data, var tombstone] => (new CacheLookup(
                LookupState.Pending, Entry(version, 0, contentType, data, tombstone), LeaseState.NotRequested),
                string.Empty),
            [_, var version, var expiresAt, var contentType, var data, var negative, var lease, var tags] => (
                new CacheLookup(
                    LookupState.Expired, Entry(version, (long)expiresAt, contentType, data, negative), ToLease(lease)),
                (string)tags!),
            [_, var lease] => (new CacheLookup(LookupState.Miss, null, ToLease(lease)), string.Empty),
            _ => throw new InvalidOperationException($"Unexpected Lookup reply of {result.Length} elements."),
        };
    }
    private static CacheEntry Entry(RedisResult version, long expiresAtMs, RedisResult contentType,
        RedisResult data, RedisResult negative) =>
        new((byte[])data!, (string)contentType!, (long)version, (string)negative! == "1",
            DateTimeOffset.FromUnixTimeMilliseconds(expiresAtMs));

    private static LeaseState ToLease(RedisResult lease) => (int)lease switch
    {
        1 => LeaseState.Granted,
        -1 => LeaseState.HeldByOther,
        _ => LeaseState.NotRequested,
    };
}
