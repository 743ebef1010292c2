using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Leaves the consumer group on shutdown, only if this consumer holds no unacknowledged entries
/// (deleting a consumer drops its pending entries).
/// </summary>
internal static class RetireConsumerScript
{
    // KEYS: log. ARGV: group, consumer. Returns 1 retired, 0 kept (it still holds entries).
    private const string Text = """
        local group, consumer = ARGV[1], ARGV[2]
        local p = redis.call('XPENDING', KEYS[1], group, '-', '+', 1, consumer)
        if #p == 0 then
          redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, consumer)
          return 1
        end
        return 0
        """;

    public static async Task<bool> RunAsync(IDatabase db, RedisKey log, string group, string consumer) =>
        (int)await db.ScriptEvaluateAsync(Text, [log], [group, consumer]).ConfigureAwait(false) == 1;
}
