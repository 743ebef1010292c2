using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Finishes a flush round on one partition: each entry that still holds the flushed version stops being a
/// pending record (a newer write keeps it pending, with its own log entry) and gets its expiry back: the
/// rest of its TTL plus the stale window, or a version floor when nothing of it is left to serve (expired,
/// a tombstone without negative caching, or invalidated while pending). Other claims are released, and the
/// log entries acknowledged then deleted, so <c>XLEN</c> is the backlog.
/// </summary>
internal static class CompleteScript
{
    // KEYS: log, then N entries. ARGV: consumer, group, N, stale window ms, floor lifetime ms, now (unix ms,
    // the sidecar's clock, which set the entries' expiry), then N flushed
    // versions ('' = not flushed: release the claim only), then the log entry ids to acknowledge.
    // Variable arity, so positional by necessity; RunAsync builds both lists in one place.
    private static readonly string Text = $$"""
        local consumer, group, n, staleMs, floorMin, now =
          ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
        for i = 1, n do
          local k = KEYS[i + 1]
          local p = redis.call('HMGET', k, '{{PendingHash.Version}}', '{{PendingHash.ClaimedBy}}',
            '{{PendingHash.Marker}}', '{{EntryHash.ExpiresAt}}', '{{EntryHash.Generation}}')
          local flushed = ARGV[6 + i]
          if p[3] == '1' and flushed ~= '' and p[1] == flushed then
            redis.call('HDEL', k, '{{PendingHash.Marker}}', '{{PendingHash.Tags}}', '{{PendingHash.ClaimedBy}}',
              '{{PendingHash.ClaimedAt}}')
            local keep = tonumber(p[4] or '0') - now + staleMs
            if p[5] == '{{EntryHash.FloorGeneration}}' or keep <= 0 then
              {{EntryHash.WriteFloor("k", "p[1]", "floorMin")}}
            else
              redis.call('PEXPIRE', k, math.floor(keep))
            end
          elseif p[3] == '1' and p[2] == consumer then
            redis.call('HDEL', k, '{{PendingHash.ClaimedBy}}', '{{PendingHash.ClaimedAt}}')
          end
        end
        local acked = 0
        local ids = {}
        for i = 7 + n, #ARGV do
          ids[#ids + 1] = ARGV[i]
          if #ids == 500 or i == #ARGV then
            acked = acked + redis.call('XACK', KEYS[1], group, unpack(ids))
            redis.call('XDEL', KEYS[1], unpack(ids))
            ids = {}
          end
        end
        return acked
        """;

    /// <returns>How many log entries were acknowledged.</returns>
    public static async Task<long> RunAsync(IDatabase db, NamespacePolicy ns, int partition, string consumer,
        string group, IReadOnlyList<(string Key, string? FlushedVersion)> keys, IReadOnlyList<RedisValue> ackIds,
        long nowMs)
    {
        var tag = RedisKeyLayout.Tag(ns, partition);
        var redisKeys = new RedisKey[keys.Count + 1];
        redisKeys[0] = RedisKeyLayout.Log(tag);
        var args = new List<RedisValue>(6 + keys.Count + ackIds.Count)
        {
            consumer, group, keys.Count, (long)PhysicalTtl.StaleWindow(ns).TotalMilliseconds,
            (long)VersionFloor.Lifetime.TotalMilliseconds, nowMs,
        };
        for (var i = 0; i < keys.Count; i++)
        {
            redisKeys[i + 1] = RedisKeyLayout.Entry(tag, keys[i].Key);
            args.Add(keys[i].FlushedVersion ?? string.Empty);
        }

        args.AddRange(ackIds);
        return (long)await db.ScriptEvaluateAsync(Text, redisKeys, [.. args]).ConfigureAwait(false);
    }
}
