using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace CacheSidecar.Bench.Load;

/// <summary>Puts the keys a read scenario cycles over in place beforehand, and proves they are what the scenario expects.</summary>
internal static class Prefill
{
    private static readonly ByteString Value = ByteString.CopyFrom(Payload.JsonValue);

    /// <summary>
    /// Puts every key into <paramref name="ns"/> (a namespace with a store: the Put must be persisted),
    /// with the tags <paramref name="tagsOf"/> gives key i (none by default), then Gets each twice: the
    /// first Get misses and fills the cache (the store keeps the tags, so a tagged entry is tagged again),
    /// the second proves it is now a hit (<c>source = CACHE</c>). Any other answer fails the bench.
    /// </summary>
    public static async Task GetHitKeysAsync(Cache.CacheClient cache, string ns, string[] keys, int concurrency, CancellationToken cancellationToken,
        Func<int, IEnumerable<string>>? tagsOf = null)
    {
        await ClosedLoopLoad.RunCountAsync($"prefill Put {ns}", concurrency, keys.Length, async (i, ct) =>
        {
            var request = new PutRequest { Namespace = ns, Key = keys[i], Value = Value, ContentType = Payload.JsonContentType };
            request.Tags.AddRange(tagsOf?.Invoke((int)i) ?? []);
            return (await cache.PutAsync(request, cancellationToken: ct)).Persisted;
        }, cancellationToken);
        await ClosedLoopLoad.RunCountAsync($"prefill Get {ns} (fill)", concurrency, keys.Length, async (i, ct) =>
            (await cache.GetAsync(new GetRequest { Namespace = ns, Key = keys[i] }, cancellationToken: ct)).Found,
            cancellationToken);
        await ClosedLoopLoad.RunCountAsync($"prefill Get {ns} (check hit)", concurrency, keys.Length, async (i, ct) =>
            (await cache.GetAsync(new GetRequest { Namespace = ns, Key = keys[i] }, cancellationToken: ct)).Source == ValueSource.Cache,
            cancellationToken);
    }

    /// <summary>Sets the direct-Redis baseline's keys to the same 1 KB value.</summary>
    public static async Task<RedisKey[]> RawRedisKeysAsync(IDatabase redis, string prefix, int count)
    {
        var keys = Payload.Keys(prefix, count).Select(k => (RedisKey)k).ToArray();
        await Task.WhenAll(keys.Select(key => redis.StringSetAsync(key, Payload.JsonValue)));
        return keys;
    }
}
