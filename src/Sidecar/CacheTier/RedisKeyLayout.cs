using System.IO.Hashing;
using System.Text;
using CacheSidecar.Configuration;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The Redis key layout (§5). A namespace is split into <c>Partitions</c> hash-tag partitions,
/// <c>hash(key) mod P</c>; every key of one partition shares the tag <c>{ns:p}</c>, so each Lua
/// step touches one slot (Redis Cluster safe) while a namespace still spreads over all shards.
/// <code>
/// cs:{ns:p}:e:&lt;key&gt;   hash: v (version) g (generation) x (expires, unix ms) c (content type) d (data) n (negative)
/// cs:{ns:p}:l:&lt;key&gt;   fill lease: "&lt;token&gt;:&lt;generation&gt;", PX LeaseTtl
/// cs:{ns:p}:gen        partition generation; bumping it invalidates the partition in O(1)
/// </code>
/// </summary>
internal static class RedisKeyLayout
{
    public static int PartitionOf(NamespacePolicy ns, string key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        Span<byte> buffer = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(key, buffer);
        return (int)(XxHash32.HashToUInt32(buffer) % (uint)ns.Partitions);
    }

    public static string Tag(NamespacePolicy ns, int partition) => $"cs:{{{ns.Name}:{partition}}}";

    public static RedisKey Generation(NamespacePolicy ns, int partition) => $"{Tag(ns, partition)}:gen";

    /// <summary>Entry, lease and generation keys of one key: the KEYS of every per-key script.</summary>
    public static RedisKey[] KeysFor(NamespacePolicy ns, string key)
    {
        var tag = Tag(ns, PartitionOf(ns, key));
        return [$"{tag}:e:{key}", $"{tag}:l:{key}", $"{tag}:gen"];
    }
}
