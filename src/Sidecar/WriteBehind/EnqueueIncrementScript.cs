using CacheSidecar.Core;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// A write-behind Increment as one atomic step on one partition: the key's current value comes from the
/// pending entry, else the live cache entry, else the store's state the caller read when the step asked
/// for it; the exact sum (<see cref="CounterLua"/>) is then recorded like a Put: the entry as the pending
/// record, and a log append. The store later receives the absolute value, so a hot counter's increments
/// coalesce into one store write per flush. Nothing is written unless the whole step succeeds.
/// </summary>
internal static class EnqueueIncrementScript
{
    // KEYS: entry, lease, generation, log, scratch.
    // ARGV: key, delta, store version hint ('' = unknown), store holds a live value ('1'/'0'), its data,
    // its content type, entry expires (unix ms), most entries the partition log may hold.
    // Returns {1, version, sum}; {-1} not a counter; {-2} backlog full; {-3} needs the store's state;
    // {-4} the store hint is older than a version Redis holds; {-5} the sum would overflow int64.
    private static readonly string Text = $$"""
        local key, delta, storeHint, storeLive, storeData, storeType, expiresAt, capacity =
          ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
        {{CounterLua.Functions}}
        if redis.call('XLEN', KEYS[4]) >= tonumber(capacity) then return {-2} end
        local g = redis.call('GET', KEYS[3]) or '0'
        local e = redis.call('HMGET', KEYS[1], '{{EntryHash.Version}}', '{{EntryHash.Generation}}',
          '{{EntryHash.Negative}}', '{{EntryHash.Data}}', '{{EntryHash.ContentType}}', '{{PendingHash.Marker}}')
        local curv, liveData, liveType
        if e[1] and (e[6] == '1' or e[2] == g) then
          curv = tonumber(e[1])
          if e[3] ~= '1' then liveData, liveType = e[4], e[5] end
        elseif storeHint ~= '' then
          curv = tonumber(storeHint)
          if storeLive == '1' then liveData, liveType = storeData, storeType
          elseif e[1] and tonumber(e[1]) > curv then return {-4} end
        else
          return {-3}
        end
        local digits, contentType = '0', '{{Counter.ContentType}}'
        if liveData then
          digits = counterOf(liveData, liveType)
          if not digits then return {-1} end
          contentType = liveType
        end
        local sum, refusal = addTo(KEYS[5], digits, delta, -1, -5)
        if not sum then return {refusal} end
        {{PendingWriteLua.Record("contentType", "sum", "'0'", "''", "''", "curv", "e[1]")}}
        return {1, vs, sum}
        """;

    public static async Task<EnqueueResult> RunAsync(IDatabase db, EntryKeys keys, WriteBehindWrite write,
        long partitionCapacity)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            Text,
            [keys.Entry, keys.Lease, keys.Generation, keys.Log, keys.Scratch],
            [
                write.Key,
                write.IncrementBy!.Value,
                write.StoreVersionHint is { } hint ? hint : string.Empty,
                write.StoreValue is null ? "0" : "1",
                write.StoreValue?.Value ?? ReadOnlyMemory<byte>.Empty,
                write.StoreValue?.ContentType ?? string.Empty,
                write.EntryExpiresAt.ToUnixTimeMilliseconds(),
                partitionCapacity,
            ]).ConfigureAwait(false))!;
        return result switch
        {
            [_, var version, var sum] => new EnqueueResult(
                EnqueueStatus.Accepted,
                (long)version,
                Existed: null,
                long.Parse((string)sum!, System.Globalization.CultureInfo.InvariantCulture)),
            [var refusal] => new EnqueueResult(
                (int)refusal switch
                {
                    -1 => EnqueueStatus.NotACounter,
                    -2 => EnqueueStatus.BacklogFull,
                    -3 => EnqueueStatus.NeedStoreVersion,
                    -4 => EnqueueStatus.StaleStoreHint,
                    _ => EnqueueStatus.Overflow,
                },
                0,
                null),
            _ => throw new InvalidOperationException($"Unexpected Increment reply of {result.Length} elements."),
        };
    }
}
