using CacheSidecar.Redis;
using System.Diagnostics;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using StackExchange.Redis;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// Looks into the write-behind state in Redis directly (log lengths, pending records, dead
/// letters), through its own connection, to check what the sidecar left there.
/// </summary>
internal sealed class WriteBehindProbe(string redisConfiguration, NamespacePolicy ns) : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(redisConfiguration);

    public IDatabase Db => _redis.GetDatabase();

    public IConnectionMultiplexer Connection => _redis;

    /// <summary>Acknowledged writes not yet flushed: the sum of the partition logs' lengths.</summary>
    public async Task<long> BacklogAsync()
    {
        var lengths = await Task.WhenAll(Enumerable.Range(0, ns.Partitions).Select(p => Db.StreamLengthAsync(RedisKeyLayout.Log(ns, p))));
        return lengths.Sum();
    }

    /// <summary>Whether the key's entry is still a pending record (its write not yet flushed; decision 0019).</summary>
    public async Task<bool> HasPendingAsync(string key) =>
        (string?)await Db.HashGetAsync(RedisKeyLayout.For(ns, key).Entry, PendingHash.Marker) == "1";

    /// <summary>Whether the entry's logical TTL (its expires-at field) has passed, by this machine's clock.</summary>
    public async Task<bool> EntryExpiredAsync(string key) =>
        (long?)await Db.HashGetAsync(RedisKeyLayout.For(ns, key).Entry, EntryHash.ExpiresAt) is { } expiresAt
        && expiresAt < DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public Task<bool> HasEntryAsync(string key) => Db.KeyExistsAsync(RedisKeyLayout.For(ns, key).Entry);

    public Task<StreamEntry[]> DeadLettersAsync() => Db.StreamRangeAsync(RedisKeyLayout.DeadLetter(ns));

    /// <summary>Entries a consumer holds unacknowledged, over all partitions.</summary>
    public async Task<long> HeldByAsync(string consumer)
    {
        long held = 0;
        for (var p = 0; p < ns.Partitions; p++)
        {
            try
            {
                var consumers = await Db.StreamConsumerInfoAsync(RedisKeyLayout.Log(ns, p), "flushers");
                held += consumers.Where(c => c.Name == consumer).Sum(c => c.PendingMessageCount);
            }
            catch (RedisServerException)
            {
                // no group yet on this partition
            }
        }

        return held;
    }

    /// <summary>Polls (bounded) until the condition holds; <paramref name="step"/> runs between polls (e.g. advancing a fake clock).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Action? step = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {what}.");
            }

            step?.Invoke();
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
