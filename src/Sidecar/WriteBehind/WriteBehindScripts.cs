namespace CacheSidecar.WriteBehind;

/// <summary>
/// The Lua steps of write-behind (see docs/write-behind.md for the protocol). Each touches keys of
/// one partition (one hash slot). Versions come from the Redis server's clock (<c>TIME</c>), so
/// every sidecar writing a key through one Redis shard draws from the same monotonic source.
/// </summary>
internal static class WriteBehindScripts
{
    /// <summary>
    /// Put or delete. KEYS: entry, lease, generation, pending, log.
    /// ARGV: 1 key, 2 if-match ('' = none), 3 store version hint ('' = unknown), 4 entry expires
    /// (unix ms), 5 content type, 6 data, 7 tombstone (0/1), 8 entry physical ttl ms (0 = keep no
    /// entry), 9 most entries the partition log may hold.
    /// Returns {1, version, existed (1/0/-1 unknown)}; {-1} if-match failed; {-2} backlog full;
    /// {-3} if-match needs the store's version (no pending record and no entry to compare with).
    /// Nothing is written unless the whole step succeeds.
    /// </summary>
    public const string Enqueue = """
        if redis.call('XLEN', KEYS[5]) >= tonumber(ARGV[9]) then return {-2} end
        local g = redis.call('GET', KEYS[3]) or '0'
        local p = redis.call('HMGET', KEYS[4], 'v', 'n')
        local e = redis.call('HMGET', KEYS[1], 'v', 'g', 'n')
        local curv, live, known = 0, false, false
        if p[1] then
          curv = tonumber(p[1]); live = p[2] ~= '1'; known = true
        elseif e[1] and e[2] == g then
          curv = tonumber(e[1]); live = e[3] ~= '1'; known = true
        elseif ARGV[3] ~= '' then
          curv = tonumber(ARGV[3]); live = curv > 0; known = true
        end
        if ARGV[2] ~= '' then
          if not known then return {-3} end
          if not live or curv ~= tonumber(ARGV[2]) then return {-1} end
        end
        local t = redis.call('TIME')
        local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
        if curv >= v then v = curv + 1 end
        if e[1] and tonumber(e[1]) >= v then v = tonumber(e[1]) + 1 end
        if ARGV[3] ~= '' and tonumber(ARGV[3]) >= v then v = tonumber(ARGV[3]) + 1 end
        local vs = string.format('%.0f', v)
        redis.call('HSET', KEYS[4], 'v', vs, 'c', ARGV[5], 'd', ARGV[6], 'n', ARGV[7])
        if tonumber(ARGV[8]) > 0 then
          -- HSET sets every field an entry has, so no DEL first; the lease dies with the write.
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'v', vs, 'g', g, 'x', ARGV[4], 'c', ARGV[5], 'd', ARGV[6], 'n', ARGV[7])
          redis.call('PEXPIRE', KEYS[1], ARGV[8])
        else
          redis.call('DEL', KEYS[1], KEYS[2])
        end
        redis.call('XADD', KEYS[5], '*', 'k', ARGV[1], 'v', vs)
        local existed = -1
        if known then existed = live and 1 or 0 end
        return {1, vs, existed}
        """;

    /// <summary>
    /// Claims keys for flushing. KEYS: pending records of one partition. ARGV: consumer, claim
    /// timeout ms. Per key returns {1, v, c, d, n} (claimed: flush this version), {0} (no pending
    /// record: already flushed) or {-1} (another live flusher holds it). A claim keeps two flushers
    /// from writing one key at once, so a slow older write can never land after a newer delete.
    /// </summary>
    public const string Claim = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local out = {}
        for i, k in ipairs(KEYS) do
          local p = redis.call('HMGET', k, 'v', 'c', 'd', 'n', 'o', 'oc')
          if not p[1] then
            out[i] = {0}
          elseif p[5] and p[5] ~= ARGV[1] and now - tonumber(p[6]) < tonumber(ARGV[2]) then
            out[i] = {-1}
          else
            redis.call('HSET', k, 'o', ARGV[1], 'oc', now)
            out[i] = {1, p[1], p[2] or '', p[3] or '', p[4] or '0'}
          end
        end
        return out
        """;

    /// <summary>
    /// Finishes a round. KEYS: log, then pending records. ARGV: 1 consumer, 2 group, 3 number of
    /// pending keys N, 4..3+N the version flushed for each ('' = not flushed: release the claim
    /// only), then the log entry ids to acknowledge. A pending record is removed only if it still
    /// holds the flushed version (a newer write keeps it, with its own log entry). Acknowledged
    /// entries are deleted from the log, so XLEN is the backlog.
    /// </summary>
    public const string Complete = """
        local n = tonumber(ARGV[3])
        for i = 1, n do
          local k = KEYS[i + 1]
          local p = redis.call('HMGET', k, 'v', 'o')
          local flushed = ARGV[3 + i]
          if p[1] and flushed ~= '' and p[1] == flushed then
            redis.call('DEL', k)
          elseif p[1] and p[2] == ARGV[1] then
            redis.call('HDEL', k, 'o', 'oc')
          end
        end
        local acked = 0
        local ids = {}
        for i = 4 + n, #ARGV do
          ids[#ids + 1] = ARGV[i]
          if #ids == 500 or i == #ARGV then
            acked = acked + redis.call('XACK', KEYS[1], ARGV[2], unpack(ids))
            redis.call('XDEL', KEYS[1], unpack(ids))
            ids = {}
          end
        end
        return acked
        """;

    /// <summary>
    /// Leaves the consumer group on shutdown, only if this consumer holds no unacknowledged
    /// entries (deleting a consumer drops its pending entries). KEYS: log. ARGV: group, consumer.
    /// </summary>
    public const string RetireConsumer = """
        local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
        if #p == 0 then
          redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
          return 1
        end
        return 0
        """;
}
