using CacheSidecar.Core;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// A write-behind Put or Delete as one atomic step on one partition (one hash slot): checks the
/// backlog bound and if-match, takes a version from the Redis server's clock (<c>TIME</c>, so
/// every sidecar writing a key through one shard draws from the same monotonic source), writes the
/// cache entry as the key's pending record (decision 0019), and appends to the partition log. Nothing is
/// written unless the whole step succeeds. Create-if-absent is decided here too, so of concurrent
/// creators exactly one is accepted: by the pending entry, else the live entry, else the store's state the
/// caller read when the step asked for it (refused as stale when Redis holds a newer version).
/// </summary>
internal static class EnqueueScript
{
    // KEYS: entry, lease, generation, log.
    // ARGV: key, if-match ('' = none), store version hint ('' = unknown), entry expires (unix ms),
    // content type, data, tombstone (0/1), most entries the partition log may hold, the store holds a live value ('1'/'0', with the hint), if absent ('1'/'0'),
    // the entry's tag generations ('' = untagged), the tags for the store ('\n'-joined).
    // Returns {1, version, existed (1/0/-1 unknown)}; {-1} if-match or if-absent failed; {-2} backlog
    // full; {-3} the condition needs the store's state (no pending write and no entry to go by);
    // {-4} the store hint is older than a version Redis holds.
    private static readonly string Text = $$"""
        local key, ifMatch, storeHint, expiresAt, contentType, data, tombstone, capacity, storeLive,
          ifAbsent, tagGenerations, tags = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8],
          ARGV[9], ARGV[10], ARGV[11], ARGV[12]
        if redis.call('XLEN', KEYS[4]) >= tonumber(capacity) then return {-2} end
        local g = redis.call('GET', KEYS[3]) or '0'
        local e = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}', '{{PendingHash.Marker}}')
        local curv, live, known = 0, false, false
        if e[1] and e[4] == '1' then
          curv = tonumber(e[1]); live = e[3] ~= '1'; known = true
        elseif e[1] and e[2] == g then
          curv = tonumber(e[1]); live = e[3] ~= '1'; known = true
        elseif storeHint ~= '' then
          curv = tonumber(storeHint); live = storeLive == '1'; known = true
          -- The store was read before this step: an invalidated or older-generation entry above its
          -- version means a write reached the store since (a creator flushed, then invalidated).
          if ifAbsent == '1' and not live and e[1] and tonumber(e[1]) > curv then return {-4} end
        end
        if ifMatch ~= '' then
          if not known then return {-3} end
          if not live or curv ~= tonumber(ifMatch) then return {-1} end
        end
        if ifAbsent == '1' then
          if not known then return {-3} end
          if live then return {-1} end
        end
        {{PendingWriteLua.Record("contentType", "data", "tombstone", "tagGenerations", "tags", "curv", "e[1]",
            "storeHint")}}
        local existed = -1
        if known then existed = live and 1 or 0 end
        return {1, vs, existed}
        """;

    public static async Task<EnqueueResult> RunAsync(IDatabase db, EntryKeys keys, WriteBehindWrite write,
        long partitionCapacity, string tagGenerations)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation, keys.Log],
            [
                write.Key,
                write.IfMatch is { } ifMatch ? ifMatch : string.Empty,
                write.StoreVersionHint is { } hint ? hint : string.Empty,
                write.EntryExpiresAt.ToUnixTimeMilliseconds(),
                write.ContentType,
                write.Value,
                write.IsTombstone ? "1" : "0",
                partitionCapacity,
                write.StoreValue is null ? "0" : "1",
                write.IfAbsent ? "1" : "0",
                tagGenerations,
                Tags.Join(write.Tags),
            ]).ConfigureAwait(false))!;
        return result switch
        {
            [_, var version, var existed] => new EnqueueResult(
                EnqueueStatus.Accepted,
                (long)version,
                (int)existed switch
                {
                    1 => true,
                    0 => false,
                    _ => null,
                }),
            [var refusal] when (int)refusal == -1 => new EnqueueResult(EnqueueStatus.PreconditionFailed, 0, null),
            [var refusal] when (int)refusal == -2 => new EnqueueResult(EnqueueStatus.BacklogFull, 0, null),
            [var refusal] when (int)refusal == -4 => new EnqueueResult(EnqueueStatus.StaleStoreHint, 0, null),
            _ => new EnqueueResult(EnqueueStatus.NeedStoreVersion, 0, null),
        };
    }
}
