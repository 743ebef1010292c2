using CacheSidecar.Redis;
using System.Diagnostics;
using System.Globalization;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MongoDB.Bson;
using MongoDB.Driver;
using StackExchange.Redis;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// One checker run: two sidecar processes on one Redis and one store, clients doing random
/// Get / Put / Delete / Invalidate on a few hot keys for a bounded time, every call recorded.
/// </summary>
internal sealed class ConsistencyRun : IAsyncDisposable
{
    public const string Database = "checker";

    private readonly List<(SidecarProcess Process, GrpcChannel Channel)> _sidecars = [];
    private readonly string _redis;
    private readonly string _mongo;
    private readonly string _keyPrefix = $"chk{Guid.NewGuid():N}"[..12];

    public ConsistencyRun(string redis, string mongo, CacheStrategy strategy)
    {
        _redis = redis;
        _mongo = mongo;
        Strategy = strategy;
        Namespace = $"chk-{strategy}".ToLowerInvariant();
    }

    public CacheStrategy Strategy { get; }

    public string Namespace { get; }

    public string Collection => Namespace.Replace('-', '_');

    public NamespacePolicy Policy => NamespacePolicy.From(Namespace, new NamespaceOptions { Strategy = Strategy, Collection = Collection }, _keyPrefix);

    public async Task StartSidecarsAsync(int count, IDictionary<string, string?>? extra = null)
    {
        var prefix = $"Sidecar__Namespaces__{Namespace}__";
        for (var i = 0; i < count; i++)
        {
            var env = new Dictionary<string, string?>
            {
                ["Sidecar__Redis__Configuration"] = _redis,
                ["Sidecar__Redis__KeyPrefix"] = _keyPrefix,
                ["Sidecar__Mongo__ConnectionString"] = _mongo,
                ["Sidecar__Mongo__Database"] = Database,
                ["Sidecar__WriteBehind__ConsumerName"] = $"checker-{i}",
                [prefix + "Strategy"] = Strategy.ToString(),
                [prefix + "Collection"] = Collection,
                [prefix + "Ttl"] = "00:10:00",
                [prefix + "NegativeTtl"] = "00:00:30",
                [prefix + "WriteBehind__FlushInterval"] = "00:00:00.020",
                [prefix + "WriteBehind__BatchSize"] = "50",
                // Sidecar logs at Warning: the checker's thousands of calls should not flood the test output.
                ["Logging__LogLevel__Default"] = "Warning",
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                env[key] = value;
            }

            var process = TestSidecar.Start(env);
            var channel = GrpcChannel.ForAddress(process.Address);
            _sidecars.Add((process, channel));
            await process.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        }
    }

    /// <summary>The longest a run goes on to reach its minimum number of operations.</summary>
    public static readonly TimeSpan MaxRunTime = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs <paramref name="clients"/> clients for <paramref name="duration"/>, and on past it until
    /// <paramref name="minOperations"/> have run (a busy machine is slower, not wrong), for at most
    /// <see cref="MaxRunTime"/>. Each client picks a sidecar, a key and an operation at random.
    /// </summary>
    public async Task<List<Op>> RunClientsAsync(int clients, int hotKeys, TimeSpan duration, int seed,
        int minOperations = 0)
    {
        var keys = Enumerable.Range(0, hotKeys).Select(i => $"hot-{i:D2}").ToArray();
        var stubs = _sidecars.Select(s => new Cache.CacheClient(s.Channel)).ToArray();
        var started = Stopwatch.GetTimestamp();
        var total = 0;
        bool KeepGoing()
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            return elapsed < duration || (Volatile.Read(ref total) < minOperations && elapsed < MaxRunTime);
        }

        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + client);
            var ops = new List<Op>();
            var sequence = 0;
            while (KeepGoing())
            {
                var sidecar = random.Next(stubs.Length);
                var key = keys[random.Next(keys.Length)];
                var roll = random.Next(100);
                var kind = roll < 50 ? OpKind.Get : roll < 80 ? OpKind.Put : roll < 90 ? OpKind.Delete : OpKind.Invalidate;
                ops.Add(await CallAsync(stubs[sidecar], client, sidecar, kind, key, $"{{\"c\":{client},\"s\":{sequence++}}}"));
                Interlocked.Increment(ref total);
            }

            return ops;
        })));
        return perClient.SelectMany(ops => ops).ToList();
    }

    /// <summary>Waits (bounded) until write-behind has flushed everything.</summary>
    public async Task WaitForWriteBehindDrainAsync()
    {
        if (Strategy != CacheStrategy.WriteBehind)
        {
            return;
        }

        await using var probe = new WriteBehindProbe(_redis, Policy);
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, TimeSpan.FromSeconds(30), "write-behind drained");
    }

    /// <summary>
    /// What the store and Redis hold for each key, read directly (not through a sidecar); delete
    /// tombstones are filtered out the way docs/decisions/0013 tells other services to.
    /// </summary>
    public async Task<Dictionary<string, FinalState>> ReadFinalStateAsync(IEnumerable<string> keys)
    {
        var collection = new MongoClient(_mongo).GetDatabase(Database).GetCollection<BsonDocument>(Collection);
        var documents = (await collection.Find(Builders<BsonDocument>.Filter.Ne("_cs.d", true)).ToListAsync()).ToDictionary(d => d["_id"].AsString);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis);
        var db = redis.GetDatabase();
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var final = new Dictionary<string, FinalState>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            documents.TryGetValue(key, out var document);
            var redisKeys = RedisKeyLayout.For(Policy, key);
            var generation = (string?)await db.StringGetAsync(redisKeys.Generation) ?? "0";
            var entry = await db.HashGetAsync(
                redisKeys.Entry, [EntryHash.Version, EntryHash.Generation, EntryHash.ExpiresAt, EntryHash.Negative]);
            var cached = CachedState.None;
            long cacheVersion = 0;
            if (!entry[0].IsNull && (string?)entry[1] == generation && (long)entry[2] > nowMs)
            {
                cached = (string?)entry[3] == "1" ? CachedState.Negative : CachedState.Value;
                cacheVersion = (long)entry[0];
            }

            final[key] = new FinalState(
                document?["_cs"]["v"].ToInt64(),
                document is null ? null : StoredJson(document),
                cached,
                cacheVersion);
        }

        return final;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, channel) in _sidecars)
        {
            channel.Dispose();
            await process.DisposeAsync();
        }
    }

    /// <summary>The checker's values are {"c":…,"s":…}, stored as the document's own fields.</summary>
    private static string StoredJson(BsonDocument document) =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"c\":{document["c"].ToInt32()},\"s\":{document["s"].ToInt32()}}}");

    private async Task<Op> CallAsync(Cache.CacheClient stub, int client, int sidecar, OpKind kind, string key, string value)
    {
        var invoke = Stopwatch.GetTimestamp();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        try
        {
            switch (kind)
            {
                case OpKind.Get:
                    var read = await stub.GetAsync(new GetRequest { Namespace = Namespace, Key = key }, deadline: deadline);
                    return new Op(client, sidecar, kind, key, invoke, Stopwatch.GetTimestamp(), true, read.Found, read.Found ? long.Parse(read.Etag, CultureInfo.InvariantCulture) : 0, read.Found ? read.Value.ToStringUtf8() : null, null);
                case OpKind.Put:
                    var put = await stub.PutAsync(new PutRequest { Namespace = Namespace, Key = key, Value = ByteString.CopyFromUtf8(value), ContentType = "application/json" }, deadline: deadline);
                    return new Op(client, sidecar, kind, key, invoke, Stopwatch.GetTimestamp(), true, false, long.Parse(put.Etag, CultureInfo.InvariantCulture), value, null);
                case OpKind.Delete:
                    await stub.DeleteAsync(new DeleteRequest { Namespace = Namespace, Key = key }, deadline: deadline);
                    break;
                default:
                    await stub.InvalidateAsync(new InvalidateRequest { Namespace = Namespace, Keys = { key } }, deadline: deadline);
                    break;
            }

            return new Op(client, sidecar, kind, key, invoke, Stopwatch.GetTimestamp(), true, false, 0, null, null);
        }
        catch (RpcException ex)
        {
            return new Op(client, sidecar, kind, key, invoke, Stopwatch.GetTimestamp(), false, false, 0, null, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }
}
