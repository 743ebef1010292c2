using CacheSidecar.Configuration;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Finishes a flush round on one partition: removes each pending record only if it still holds
/// the flushed version (a newer write keeps it, with its own log entry), releases the other
/// claims, and acknowledges then deletes the log entries, so <c>XLEN</c> is the backlog.
/// </summary>
internal static class CompleteScript
{
    // KEYS: log, then N pending records. ARGV: consumer, group, N, then N flushed versions
    // ('' = not flushed: release the claim only), then the log entry ids to acknowledge.
    // Variable arity, so positional by necessity; RunAsync builds both lists in one place.
    private static readonly string Text = $$"""
        local consumer, group, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
        for i = 1, n do
          local k = KEYS[i + 1]
          local p = redis.call('HMGET', k, '{{PendingHash.Version}}', '{{PendingHash.ClaimedBy}}')
          local flushed = ARGV[3 + i]
          if p[1] and flushed ~= '' and p[1] == flushed then
            redis.call('DEL', k)
          elseif p[1] and p[2] == consumer then
            redis.call('HDEL', k, '{{PendingHash.ClaimedBy}}', '{{PendingHash.ClaimedAt}}')
          end
        end
        local acked = 0
        local ids = {}
        for i = 4 + n, #ARGV do
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
        string group, IReadOnlyList<(string Key, string? FlushedVersion)> keys, IReadOnlyList<RedisValue> ackIds)
    {
        var redisKeys = new RedisKey[keys.Count + 1];
        redisKeys[0] = RedisKeyLayout.Log(ns, partition);
        var args = new List<RedisValue>(3 + keys.Count + ackIds.Count) { consumer, group, keys.Count };
        for (var i = 0; i < keys.Count; i++)
        {
            redisKeys[i + 1] = RedisKeyLayout.Pending(ns, partition, keys[i].Key);
            args.Add(keys[i].FlushedVersion ?? string.Empty);
        }

        args.AddRange(ackIds);
        return (long)await db.ScriptEvaluateAsync(Text, redisKeys, [.. args]).ConfigureAwait(false);
    }
}
