using CacheSidecar.Configuration;
using StackExchange.Redis;

namespace CacheSidecar.Redis;

/// <summary>
/// The Redis key layout (§5). A namespace is split into <c>Partitions</c> hash-tag partitions,
/// <c>hash(key) mod P</c> (<see cref="NamespacePolicy.PartitionOf"/>); every key of one partition
/// shares the tag <c>{ns:p}</c>, so each Lua step touches one slot (Redis Cluster safe) while a
/// namespace still spreads over all shards.
/// <code>
/// (every key starts with Sidecar:Redis:KeyPrefix, default "cs")
/// cs:{ns:p}:e:&lt;key&gt;   hash: v (version) g (generation) x (expires, unix ms) c (content type)
///                      d (data) n (negative) t (tag generations); while a write-behind write awaits
///                      its flush also p ("1") s (tags for the store) o oc (flusher claim), and no TTL
///                      (the entry is the pending record, decision 0019)
/// cs:{ns:p}:l:&lt;key&gt;   fill lease: "&lt;token&gt;:&lt;generation&gt;", PX LeaseTtl
/// cs:{ns:p}:gen        partition generation; bumping it invalidates the partition in O(1)
/// cs:{ns:p}:n          scratch integer of a counter step (exists only inside that Lua step)
/// cs:{ns:p}:p:&lt;key&gt;   legacy write-behind pending record (before decision 0019): only read, moved
///                      into the entry by the flusher's claim
/// cs:{ns:p}:log        write-behind stream of the partition: entries {k: key, v: version}, consumer group "flushers"
/// cs:{ns:t:tag}:tg     tag generation (InvalidateTags), one slot per tag; PX TagGenerations.Lifetime
/// cs:{ns:dlq}:dlq      write-behind dead-letter stream of the namespace
/// cs:{ns:watch}:lease  change-stream watcher lease: the holder's instance id, PX LeasePeriod
/// cs:{ns:watch}:token  change-stream resume token after the last applied batch
/// </code>
/// </summary>
internal static class RedisKeyLayout
{
    public static string Tag(NamespacePolicy ns, int partition) => $"{ns.KeyPrefix}:{{{ns.Name}:{partition}}}";

    public static RedisKey Generation(NamespacePolicy ns, int partition) => Generation(Tag(ns, partition));

    public static RedisKey Generation(string tag) => $"{tag}:gen";

    public static RedisKey Entry(string tag, string key) => $"{tag}:e:{key}";

    public static RedisKey Scratch(string tag) => $"{tag}:n";

    public static RedisKey Lease(string tag, string key) => $"{tag}:l:{key}";

    /// <summary>The pending record of the two-record layout, which older sidecars wrote (decision 0019).</summary>
    public static RedisKey LegacyPending(string tag, string key) => $"{tag}:p:{key}";

    public static RedisKey Log(NamespacePolicy ns, int partition) => Log(Tag(ns, partition));

    public static RedisKey Log(string tag) => $"{tag}:log";

    /// <summary>A tag's generation (<see cref="TagGenerations"/>), in its own slot: tags spread over the shards.</summary>
    public static RedisKey TagGeneration(NamespacePolicy ns, string tag) =>
        $"{ns.KeyPrefix}:{{{ns.Name}:t:{tag}}}:tg";

    /// <summary>The namespace's near-cache invalidation counter (its own slot, like the dead letters).</summary>
    public static RedisKey NearCacheSequence(NamespacePolicy ns) => $"{ns.KeyPrefix}:{{{ns.Name}:l1}}:seq";

    /// <summary>
    /// The namespace's invalidation channel: sharded pub/sub (SPUBLISH/SSUBSCRIBE), in the counter's slot, so
    /// on a cluster a message travels only to the shard that owns the namespace and to its subscribers,
    /// never across the whole cluster bus; an instance subscribes only to the namespaces it follows.
    /// </summary>
    public static RedisChannel InvalidationChannel(NamespacePolicy ns) =>
        RedisChannel.Sharded($"{ns.KeyPrefix}:{{{ns.Name}:l1}}:ch");

    /// <summary>
    /// One dead-letter stream per namespace (its own slot: dead letters are rare and read by operators).
    /// </summary>
    public static RedisKey DeadLetter(NamespacePolicy ns) => $"{ns.KeyPrefix}:{{{ns.Name}:dlq}}:dlq";

    /// <summary>The namespace's change-stream watcher lease (one slot with its resume token).</summary>
    public static RedisKey WatcherLease(NamespacePolicy ns) => $"{ns.KeyPrefix}:{{{ns.Name}:watch}}:lease";

    /// <summary>Where the watcher keeps its resume token, beside the lease so one Lua step guards both.</summary>
    public static RedisKey WatcherToken(NamespacePolicy ns) => $"{ns.KeyPrefix}:{{{ns.Name}:watch}}:token";

    /// <summary>The keys of one cache key (entry, lease, generation, partition log).</summary>
    public static EntryKeys For(NamespacePolicy ns, string key) => new(Tag(ns, ns.PartitionOf(key)), key);
}
