using System.Globalization;
using StackExchange.Redis;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>
/// A namespace's write-behind backlog read straight from Redis, independent of the sidecar: the sum of
/// <c>XLEN</c> over its partition streams <c>cs:{&lt;ns&gt;:&lt;p&gt;}:log</c>, p = 0..Partitions-1.
/// </summary>
internal static class WriteBehindBacklog
{
    /// <summary>The namespace default (NamespaceDefaults.Partitions); the bench never overrides it.</summary>
    public const int Partitions = 16;

    private static readonly Dictionary<string, RedisKey[]> StreamKeys = new(StringComparer.Ordinal);

    public static async Task<long> ReadAsync(IDatabase redis, string ns)
    {
        // Sent together: SE.Redis pipelines concurrent commands on its one connection.
        var lengths = await Task.WhenAll(KeysOf(ns).Select(key => redis.StreamLengthAsync(key)));
        return lengths.Sum();
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
