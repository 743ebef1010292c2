using CacheSidecar.Configuration;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Claims keys of one partition for flushing: the pending write is the key's entry while it carries
/// <see cref="PendingHash.Marker"/> (decision 0019). A claim keeps two flushers from writing one key at
/// once, so a slow older write can never land after a newer delete; a claim older than the
/// timeout belongs to a dead or stuck flusher and may be taken over.
/// </summary>
internal static class ClaimScript
{
    // KEYS: per key its entry and its legacy pending record (any number of keys, one partition).
    // ARGV: consumer, claim timeout ms.
    // Per key returns {1, v, c, d, n, t} (claimed: flush this version), {0} (nothing pending: already
    // flushed) or {-1} (another live flusher holds it).
    // A pending record of the two-record layout (before decision 0019) is moved into the entry first, so a
    // write acknowledged by an older sidecar is flushed like any other (hidden from cache reads unless the entry
    // held that very version); one that a newer version in the entry superseded is dropped.
    private static readonly string Text = $$"""
        local consumer, timeout = ARGV[1], tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local out = {}
        for i = 1, #KEYS / 2 do
          local k, legacy = KEYS[2 * i - 1], KEYS[2 * i]
          local old = redis.call('HMGET', legacy, {{PendingHash.LegacyFields}})
          if old[1] then
            local cur = redis.call('HGET', k, '{{EntryHash.Version}}')
            if cur == old[1] then
              redis.call('HSET', k, '{{PendingHash.Marker}}', '1', '{{PendingHash.Tags}}', old[5] or '')
              redis.call('PERSIST', k)
            elseif not cur or tonumber(cur) < tonumber(old[1]) then
              {{EntryHash.WritePending("k", "old[1]", $"'{EntryHash.FloorGeneration}'", "'0'", "old[2] or ''",
                  "old[3] or ''", "old[4] or '0'", "''", "old[5] or ''")}}
            end
            redis.call('DEL', legacy)
          end
          local p = redis.call('HMGET', k, '{{PendingHash.Version}}', '{{PendingHash.ContentType}}',
            '{{PendingHash.Data}}', '{{PendingHash.Tombstone}}', '{{PendingHash.ClaimedBy}}',
            '{{PendingHash.ClaimedAt}}', '{{PendingHash.Tags}}', '{{PendingHash.Marker}}')
          if p[8] ~= '1' then
            out[i] = {0}
          elseif p[5] and p[5] ~= consumer and now - tonumber(p[6]) < timeout then
            out[i] = {-1}
          else
            redis.call('HSET', k, '{{PendingHash.ClaimedBy}}', consumer, '{{PendingHash.ClaimedAt}}', now)
            out[i] = {1, p[1], p[2] or '', p[3] or '', p[4] or '0', p[7] or ''}
          end
        end
        return out
        """;

    public static async Task<ClaimResult[]> RunAsync(IDatabase db, NamespacePolicy ns, int partition,
        string consumer, IReadOnlyList<string> keys, TimeSpan claimTimeout)
    {
        var tag = RedisKeyLayout.Tag(ns, partition);
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            Text,
            keys.SelectMany(key => new[] { RedisKeyLayout.Entry(tag, key), RedisKeyLayout.LegacyPending(tag, key) })
                .ToArray(),
            [consumer, (long)claimTimeout.TotalMilliseconds]).ConfigureAwait(false))!;
        var claims = new ClaimResult[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            claims[i] = (RedisResult[])result[i]! switch
            {
                [_, var version, var contentType, var data, var tombstone, var tags] => new ClaimResult(
                    ClaimState.Claimed,
                    new PendingWrite(keys[i], (long)version, (string)version!, (byte[])data!, (string)contentType!,
                        (string)tombstone! == "1", Core.Tags.Split((string?)tags))),
                [var state] when (int)state == 0 => new ClaimResult(ClaimState.AlreadyFlushed, null),
                _ => new ClaimResult(ClaimState.Busy, null),
            };
        }

        return claims;
    }
}
