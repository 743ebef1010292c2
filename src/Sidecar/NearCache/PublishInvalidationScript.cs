using StackExchange.Redis;

namespace CacheSidecar.NearCache;

/// <summary>
/// Increments a namespace's near-cache sequence and publishes the invalidation in one step, so the
/// counter never runs ahead of (or behind) the messages: Redis runs scripts one at a time, so
/// messages go out in counter order.
/// </summary>
internal static class PublishInvalidationScript
{
    // KEYS: the namespace's sequence counter. ARGV: channel, namespace, keys payload ("\n<key>"
    // per key, '' for the whole namespace). Publishes "<namespace>\n<sequence><payload>".
    private const string Text = """
        local channel, namespace, payload = ARGV[1], ARGV[2], ARGV[3]
        local seq = redis.call('INCR', KEYS[1])
        redis.call('PUBLISH', channel, namespace .. '\n' .. seq .. payload)
        return seq
        """;

    /// <returns>The sequence number of the published message.</returns>
    public static async Task<long> RunAsync(IDatabase db, RedisKey sequence, RedisChannel channel, string ns,
        string keysPayload) =>
        (long)await db.ScriptEvaluateAsync(Text, [sequence], [channel.ToString(), ns, keysPayload])
            .ConfigureAwait(false);
}
