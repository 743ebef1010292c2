namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// The sidecar's invalidation Lua step, before and after per-namespace channels, copied verbatim (the scripts are
/// internal to the sidecar): the bench must put on Redis exactly the work one invalidation costs there.
/// </summary>
internal static class PublishScripts
{
    /// <summary>
    /// Now (src/Sidecar/NearCache/PublishInvalidationScript.cs). KEYS: the namespace's counter; ARGV: its shard
    /// channel (same slot) and the kind-and-items payload. Message: <c>&lt;seq&gt;\n&lt;kind&gt;\n&lt;item&gt;…</c>.
    /// </summary>
    public const string Sharded = """
        local seq = redis.call('INCR', KEYS[1])
        redis.call('SPUBLISH', ARGV[1], seq .. ARGV[2])
        return seq
        """;

    /// <summary>
    /// Before (the same file before commit e485fc9). KEYS: the namespace's counter; ARGV: the deployment-wide
    /// channel, the namespace, the keys payload. Message: <c>&lt;namespace&gt;\n&lt;seq&gt;\n&lt;key&gt;…</c>.
    /// </summary>
    public const string Classic = """
        local channel, namespace, payload = ARGV[1], ARGV[2], ARGV[3]
        local seq = redis.call('INCR', KEYS[1])
        redis.call('PUBLISH', channel, namespace .. '\n' .. seq .. payload)
        return seq
        """;
}
