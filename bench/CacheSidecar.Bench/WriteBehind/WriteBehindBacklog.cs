using System.Globalization;
using StackExchange.Redis;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>
/// A namespace's write-behind backlog read straight from Redis, independent of the sidecar: the sum of
/// <c>XLEN</c> over its partition streams <c>cs:{&lt;ns&gt;:&lt;p&gt;}:log</c>, p = 0..Partitions-1.
/// </summary>
internal static class WriteBehindBacklog
{
    /// <summary>The namespace default (NamespaceOptions.Partitions); the bench never overrides it.</summary>
    public const int Partitions = 16;

    private static readonly Dictionary<string, RedisKey[]> StreamKeys = new(StringComparer.Ordinal);

    /// <summary>Entries still in the partition streams (acknowledged Puts not yet flushed and deleted).</summary>
    public static async Task<long> ReadAsync(IDatabase redis, string ns)
    {
        // Sent together: SE.Redis pipelines concurrent commands on its one connection.
        var lengths = await Task.WhenAll(KeysOf(ns).Select(key => redis.StreamLengthAsync(key)));
        return lengths.Sum();
    }

    /// <summary>
    /// Entries delivered to a consumer but not yet acknowledged, summed over every consumer group of
    /// every partition stream (<c>XINFO GROUPS</c> pending). Non-zero means a flusher has started
    /// reading, even before its first batch is written and deleted — which with large batches is most
    /// of a partition's work, so the flusher bench times from here rather than from the first XLEN drop.
    /// </summary>
    public static async Task<long> DeliveredAsync(IDatabase redis, string ns)
    {
        var perStream = await Task.WhenAll(KeysOf(ns).Select(async key =>
        {
            try
            {
                var groups = await redis.StreamGroupInfoAsync(key);
                return groups.Sum(group => (long)group.PendingMessageCount);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
            {
                return 0L; // a partition that got no document has no stream
            }
        }));
        return perStream.Sum();
    }

    private static RedisKey[] KeysOf(string ns)
    {
        lock (StreamKeys)
        {
            if (!StreamKeys.TryGetValue(ns, out var keys))
            {
                keys = Enumerable.Range(0, Partitions)
                    .Select(p => (RedisKey)string.Create(CultureInfo.InvariantCulture, $"cs:{{{ns}:{p}}}:log"))
                    .ToArray();
                StreamKeys[ns] = keys;
            }

            return keys;
        }
    }
}
