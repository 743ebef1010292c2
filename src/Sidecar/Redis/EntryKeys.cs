using StackExchange.Redis;

namespace CacheSidecar.Redis;

/// <summary>
/// The Redis keys of one cache key, all carrying its partition's hash tag (one slot, so every
/// Lua step over them runs on Redis Cluster). Built on demand: a Get hit needs only two of them.
/// </summary>
internal readonly record struct EntryKeys(string Tag, string Key)
{
    /// <summary>The entry hash (fields in <see cref="EntryHash"/>).</summary>
    public RedisKey Entry => RedisKeyLayout.Entry(Tag, Key);

    /// <summary>The fill lease: "&lt;token&gt;:&lt;generation&gt;".</summary>
    public RedisKey Lease => RedisKeyLayout.Lease(Tag, Key);

    /// <summary>The partition's generation counter.</summary>
    public RedisKey Generation => RedisKeyLayout.Generation(Tag);

    /// <summary>The write-behind pending record of the two-record layout (read only; decision 0019).</summary>
    public RedisKey LegacyPending => RedisKeyLayout.LegacyPending(Tag, Key);

    /// <summary>
    /// A scratch key of the partition for exact int64 arithmetic inside a counter step (see
    /// <see cref="CounterLua"/>); it exists only during that step.
    /// </summary>
    public RedisKey Scratch => RedisKeyLayout.Scratch(Tag);

    /// <summary>The partition's write-behind log (a stream).</summary>
    public RedisKey Log => RedisKeyLayout.Log(Tag);
}
