using System.Diagnostics;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Redis;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using StackExchange.Redis;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Tests.ChangeStreams;

/// <summary>
/// Namespaces with <c>Invalidation: ChangeStream</c> over one collection of their own, and the
/// conditions the change-stream tests wait on (bounded, never by sleeping).
/// </summary>
internal static class ChangeStreamHarness
{
    public const string CsCacheAside = "cs-ca";
    public const string CsWriteThrough = "cs-wt";
    public const string CsTtl = "cs-ttl";
    public const string CsNearCached = "cs-l1";

    public static readonly TimeSpan LeasePeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after a store commit a test still accepts the old value: the stated bound (one
    /// lease period when a watcher must take over, milliseconds otherwise) with room for a busy machine.
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static string NewCollection() => $"cs_{Guid.NewGuid():N}"[..16];

    public static void Add(Dictionary<string, string?> settings, string collection)
    {
        foreach (var (name, strategy) in new[]
                 {
                     (CsCacheAside, "CacheAside"), (CsWriteThrough, "WriteThrough"), (CsTtl, "Ttl"),
                     (CsNearCached, "CacheAside"),
                 })
        {
            var at = $"Sidecar:Namespaces:{name}:";
            settings[at + "Strategy"] = strategy;
            settings[at + "Collection"] = collection;
            settings[at + "Invalidation"] = "ChangeStream";
            settings[at + "ChangeStream:LeasePeriod"] = "00:00:01";
            settings[at + "ChangeStream:MaxAwaitTime"] = "00:00:00.100";
        }

        settings[$"Sidecar:Namespaces:{CsNearCached}:NearCache:Enabled"] = "true";
    }

    public static NamespacePolicy Policy(SidecarHost host, string ns)
    {
        host.Services.GetRequiredService<NamespaceRegistry>().TryGet(ns, out var policy);
        return policy;
    }

    /// <summary>Waits until some instance follows the namespace's stream (its resume token is saved).</summary>
    public static async Task WaitUntilWatchingAsync(string redis, NamespacePolicy ns)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        await WaitUntilAsync(
            async () => await connection.GetDatabase().KeyExistsAsync(RedisKeyLayout.WatcherToken(ns)),
            $"a watcher follows '{ns.Name}'");
    }

    /// <summary>The instance id holding the namespace's watcher lease, or null.</summary>
    public static async Task<string?> HolderAsync(string redis, NamespacePolicy ns)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        return await connection.GetDatabase().StringGetAsync(RedisKeyLayout.WatcherLease(ns));
    }

    /// <summary>
    /// Reads the key every few milliseconds until <paramref name="turned"/> holds; returns how long
    /// after <paramref name="since"/> the last read that did not hold ended (zero when the first did).
    /// </summary>
    public static async Task<TimeSpan> ReadsTurnAsync(Func<Task<GetResponse>> read, Func<GetResponse, bool> turned,
        long since, string what)
    {
        var lastOld = TimeSpan.Zero;
        while (true)
        {
            var response = await read();
            var ended = Stopwatch.GetElapsedTime(since);
            if (turned(response))
            {
                return lastOld;
            }

            lastOld = ended;
            if (ended > Bound)
            {
                throw new TimeoutException($"{what}: still the old value {ended.TotalSeconds:F1} s after the commit");
            }

            await Task.Delay(5);
        }
    }

    public static IMongoCollection<BsonDocument> Collection(string mongo, string collection) =>
        new MongoClient(mongo).GetDatabase("sidecar_tests").GetCollection<BsonDocument>(collection);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Bound)
            {
                throw new TimeoutException($"not within {Bound}: {what}");
            }

            await Task.Delay(20);
        }
    }
}
