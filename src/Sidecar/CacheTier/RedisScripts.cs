namespace CacheSidecar.CacheTier;

/// <summary>
/// The Lua steps of the Redis tier. Every script takes KEYS = { entry, lease, generation } of
/// one key (one hash slot). StackExchange.Redis sends them as EVALSHA after the first call.
/// An entry counts only while its stored generation equals the partition's generation.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// ARGV: now (unix ms), lease token ('' = no lease), lease ttl ms. An optional KEYS[4] is a
    /// write-behind pending record, read when there is no fresh entry (cache, then pending).
    /// Returns {1, v, x, c, d, n} for a fresh hit, {3, v, 0, c, d, n} for a pending record,
    /// {2, v, x, c, d, n, lease} for an expired entry, {0, lease} for a miss; lease is 1
    /// granted, -1 held by another, 0 not requested.
    /// </summary>
    public const string Lookup = """
        local g = redis.call('GET', KEYS[3]) or '0'
        local e = redis.call('HMGET', KEYS[1], 'v', 'g', 'x', 'c', 'd', 'n')
        local expired = false
        if e[1] and e[2] == g then
          if tonumber(e[3]) > tonumber(ARGV[1]) then
            return {1, e[1], e[3], e[4] or '', e[5] or '', e[6] or '0'}
          end
          expired = true
        end
        if KEYS[4] then
          local p = redis.call('HMGET', KEYS[4], 'v', 'c', 'd', 'n')
          if p[1] then return {3, p[1], '0', p[2] or '', p[3] or '', p[4] or '0'} end
        end
        local lease = 0
        if ARGV[2] ~= '' then
          if redis.call('SET', KEYS[2], ARGV[2] .. ':' .. g, 'NX', 'PX', ARGV[3]) then lease = 1 else lease = -1 end
        end
        if expired then
          return {2, e[1], e[3], e[4] or '', e[5] or '', e[6] or '0', lease}
        end
        return {0, lease}
        """;

    /// <summary>
    /// Fill after a store load. ARGV: token, version, expires (unix ms), content type, data,
    /// negative (0/1), physical ttl ms. Dropped (0) when the lease was killed by an invalidation
    /// or a newer write, or the partition generation moved since the lease was taken.
    /// </summary>
    public const string Fill = """
        local g = redis.call('GET', KEYS[3]) or '0'
        if redis.call('GET', KEYS[2]) ~= ARGV[1] .. ':' .. g then return 0 end
        redis.call('DEL', KEYS[2])
        local cur = redis.call('HMGET', KEYS[1], 'v', 'g')
        if cur[1] and cur[2] == g and tonumber(cur[1]) > tonumber(ARGV[2]) then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 'g', g, 'x', ARGV[3], 'c', ARGV[4], 'd', ARGV[5], 'n', ARGV[6])
        redis.call('PEXPIRE', KEYS[1], ARGV[7])
        return 1
        """;

    /// <summary>
    /// <see cref="Fill"/> without the lease check: the memcache stale-set bug, for the consistency
    /// checker's broken variant only (<c>Sidecar:Redis:UnsafeDisableFillLeaseCheckForTesting</c>).
    /// </summary>
    public static readonly string FillIgnoringLease = Fill.Replace(FillLeaseCheck, string.Empty, StringComparison.Ordinal);

    /// <summary>The line of <see cref="Fill"/> that drops a fill whose lease is gone.</summary>
    private const string FillLeaseCheck = "if redis.call('GET', KEYS[2]) ~= ARGV[1] .. ':' .. g then return 0 end\n";

    /// <summary>
    /// Version-guarded set (write-through, tombstones). ARGV: version, expires, content type,
    /// data, negative, physical ttl ms. Returns 0 when the cache already holds this or a newer
    /// version; otherwise sets the entry, kills any fill lease (a loader that read the store
    /// before this write must not fill afterwards) and returns 1.
    /// </summary>
    public const string SetIfNewer = """
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], 'v', 'g')
        if cur[1] and cur[2] == g and tonumber(cur[1]) >= tonumber(ARGV[1]) then return 0 end
        redis.call('DEL', KEYS[2])
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'g', g, 'x', ARGV[2], 'c', ARGV[3], 'd', ARGV[4], 'n', ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    /// <summary>
    /// Replaces the tombstone at version ARGV[1], or a value older than ARGV[2], with the store's
    /// record. ARGV: tombstone version, version, expires, content type, data, physical ttl ms.
    /// Returns 1 when replaced.
    /// </summary>
    public const string ReplaceTombstone = """
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], 'v', 'g', 'n')
        if not cur[1] or cur[2] ~= g then return 0 end
        local hidden = cur[3] == '1' and cur[1] == ARGV[1]
        local older = cur[3] ~= '1' and tonumber(cur[1]) < tonumber(ARGV[2])
        if not (hidden or older) then return 0 end
        redis.call('DEL', KEYS[2], KEYS[1])
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 'g', g, 'x', ARGV[3], 'c', ARGV[4], 'd', ARGV[5], 'n', '0')
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    /// <summary>
    /// Pure-cache put: the cache is the record, so it assigns the version max(now, current + 1).
    /// ARGV: now (unix µs), if-match version ('' = none), expires, content type, data, physical
    /// ttl ms. Returns the new version, or -1 when if-match does not hold.
    /// </summary>
    public const string PutAssigningVersion = """
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], 'v', 'g', 'n')
        local curv = 0
        local live = cur[1] and cur[2] == g and cur[3] ~= '1'
        if cur[1] and cur[2] == g then curv = tonumber(cur[1]) end
        if ARGV[2] ~= '' and (not live or curv ~= tonumber(ARGV[2])) then return -1 end
        local v = math.max(tonumber(ARGV[1]), curv + 1)
        redis.call('DEL', KEYS[2])
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'v', string.format('%.0f', v), 'g', g, 'x', ARGV[3], 'c', ARGV[4], 'd', ARGV[5], 'n', '0')
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return v
        """;

    /// <summary>
    /// Pure-cache delete. ARGV: if-match version ('' = none). Returns -1 when if-match does not
    /// hold, 1 when a live entry was removed, 0 when there was none.
    /// </summary>
    public const string DeleteIfMatch = """
        local g = redis.call('GET', KEYS[3]) or '0'
        local cur = redis.call('HMGET', KEYS[1], 'v', 'g', 'n')
        local live = cur[1] and cur[2] == g and cur[3] ~= '1'
        if ARGV[1] ~= '' and (not live or tonumber(cur[1]) ~= tonumber(ARGV[1])) then return -1 end
        redis.call('DEL', KEYS[1], KEYS[2])
        if live then return 1 end
        return 0
        """;
}
