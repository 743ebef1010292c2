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

    /// <param name="count">How many sidecar processes to start.</param>
    /// <param name="extra">More settings for every sidecar, as environment variables.</param>
    /// <param name="redisFor">
    /// The Redis configuration sidecar i connects to (e.g. one through a <c>TcpFaultProxy</c>); by default
    /// the run's Redis. The run itself (final state, write-behind drain) always reads the run's Redis.
    /// </param>
    public async Task StartSidecarsAsync(int count, IDictionary<string, string?>? extra = null,
        Func<int, string>? redisFor = null)
    {
        var prefix = $"Sidecar__Namespaces__{Namespace}__";
        for (var i = 0; i < count; i++)
        {
            var env = new Dictionary<string, string?>
            {
                ["Sidecar__Redis__Configuration"] = redisFor?.Invoke(i) ?? _redis,
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
    public Task<List<Op>> RunClientsAsync(int clients, int hotKeys, TimeSpan duration, int seed,
        int minOperations = 0) =>
        RunClientsAsync(clients, hotKeys, duration, seed, minOperations, route: null, faults: null, TimeSpan.Zero);

    /// <summary>
    /// As the other overload, with a fault schedule and, optionally, a fixed sidecar per kind of call.
    /// </summary>
    /// <param name="route">
    /// The sidecar for a kind of call, given the one the client drew at random (which it always draws, so
    /// keys and kinds follow the same random sequence with or without routing); null keeps the random one.
    /// </param>
    /// <param name="faults">
    /// Started with the clients, given the run's start (a <see cref="Stopwatch"/> timestamp) to time its
    /// faults from; the run goes on until it has finished, then <paramref name="afterFaults"/> longer.
    /// </param>
    /// <param name="afterFaults">How long the clients go on once the fault schedule has finished.</param>
    public async Task<List<Op>> RunClientsAsync(int clients, int hotKeys, TimeSpan duration, int seed,
        int minOperations, Func<OpKind, int, int>? route, Func<long, Task>? faults, TimeSpan afterFaults)
    {
        var keys = Enumerable.Range(0, hotKeys).Select(i => $"hot-{i:D2}").ToArray();
        var stubs = _sidecars.Select(s => new Cache.CacheClient(s.Channel)).ToArray();
        var started = Stopwatch.GetTimestamp();
        var total = 0;
        var faultsDone = faults is null ? started : 0L;
        var schedule = faults is null
            ? Task.CompletedTask
            : Task.Run(async () =>
            {
                try
                {
                    await faults(started);
                }
                finally
                {
                    Volatile.Write(ref faultsDone, Stopwatch.GetTimestamp());
                }
            });
        bool KeepGoing()
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= MaxRunTime)
            {
                return false;
            }

            // A fault schedule must play out in full, and the run must watch the recovery that follows it.
            var done = Volatile.Read(ref faultsDone);
            return elapsed < duration || Volatile.Read(ref total) < minOperations
                || done == 0 || Stopwatch.GetElapsedTime(done) < afterFaults;
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
                sidecar = route?.Invoke(kind, sidecar) ?? sidecar;
                ops.Add(await CallAsync(stubs[sidecar], client, sidecar, kind, key, $"{{\"c\":{client},\"s\":{sequence++}}}"));
                Interlocked.Increment(ref total);
            }

            return ops;
        })));

        // A schedule that failed (Redis did not restart, say) fails the test here, with its own exception.
        await schedule;
        return perClient.SelectMany(ops => ops).ToList();
    }

    /// <summary>
    /// For fault schedules: waits until <paramref name="offset"/> after <paramref name="started"/> (a
    /// <see cref="Stopwatch"/> timestamp), so faults keep their place in the run however long each step took.
    /// </summary>
    public static async Task DelayUntilAsync(long started, TimeSpan offset)
    {
        var wait = offset - Stopwatch.GetElapsedTime(started);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    /// <summary>
    /// Waits (bounded) until every sidecar completes a call that needs Redis: its connection is back, its
    /// circuit closed, and the invalidations it missed replayed (until then the call fails). An Invalidate
    /// of a key no client uses, so the history is untouched.
    /// </summary>
    public async Task WaitUntilEverySidecarReachesRedisAsync(TimeSpan timeout)
    {
        var request = new InvalidateRequest { Namespace = Namespace, Keys = { "reachability-probe" } };
        var waited = Stopwatch.StartNew();
        foreach (var (_, channel) in _sidecars)
        {
            var stub = new Cache.CacheClient(channel);
            while (true)
            {
                try
                {
                    await stub.InvalidateAsync(request, deadline: DateTime.UtcNow.AddSeconds(5));
                    break;
                }
                catch (RpcException) when (waited.Elapsed < timeout)
                {
                    // Not yet: poll again shortly.
                    await Task.Delay(TimeSpan.FromMilliseconds(100));
                }
            }
        }
    }

    /// <summary>The lines sidecar <paramref name="sidecar"/> logged that contain <paramref name="text"/>.</summary>
    public IEnumerable<string> SidecarLog(int sidecar, string text) =>
        _sidecars[sidecar].Process.Output.Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits (bounded, 30 s unless told) until write-behind has flushed everything.</summary>
    /// <param name="timeout">The bound of the wait; 30 s by default.</param>
    /// <param name="whenLate">Told once, 10 s into the wait, what the logs still hold, if anything.</param>
    /// <returns>How long the drain took (zero for other strategies).</returns>
    /// <exception cref="TimeoutException">Not drained in time; the message says what the logs still hold.</exception>
    public async Task<TimeSpan> WaitForWriteBehindDrainAsync(TimeSpan? timeout = null, Action<string>? whenLate = null)
    {
        if (Strategy != CacheStrategy.WriteBehind)
        {
            return TimeSpan.Zero;
        }

        await using var probe = new WriteBehindProbe(_redis, Policy);
        var waited = Stopwatch.StartNew();
        var told = whenLate is null;
        try
        {
            await WriteBehindProbe.WaitUntilAsync(
                async () =>
                {
                    if (await probe.BacklogAsync() == 0)
                    {
                        return true;
                    }

                    if (!told && waited.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        told = true;
                        whenLate!(await DescribeBacklogAsync(probe));
                    }

                    return false;
                },
                timeout ?? TimeSpan.FromSeconds(30),
                "write-behind drained");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{await DescribeBacklogAsync(probe)}", ex);
        }

        return waited.Elapsed;
    }

    /// <summary>
    /// Per partition with a backlog: its log's length, the entries each flusher holds unacknowledged and for how
    /// long, and the keys whose pending record a flusher has claimed: why a drain is late.
    /// </summary>
    private async Task<string> DescribeBacklogAsync(WriteBehindProbe probe)
    {
        var lines = new List<string>();
        var server = probe.Connection.GetServers()[0];
        for (var p = 0; p < Policy.Partitions; p++)
        {
            var log = RedisKeyLayout.Log(Policy, p);
            var length = await probe.Db.StreamLengthAsync(log);
            if (length == 0)
            {
                continue;
            }

            var held = await probe.Db.StreamPendingMessagesAsync(log, "flushers", 100, RedisValue.Null);
            var holders = held.GroupBy(m => (string?)m.ConsumerName)
                .Select(g => $"{g.Key} holds {g.Count()} (idle up to {g.Max(m => m.IdleTimeInMilliseconds)} ms)");
            var claimed = new List<string>();
            await foreach (var pending in server.KeysAsync(pattern: $"{RedisKeyLayout.Tag(Policy, p)}:e:*"))
            {
                if ((string?)await probe.Db.HashGetAsync(pending, PendingHash.ClaimedBy) is { } owner)
                {
                    claimed.Add($"{pending} claimed by {owner}");
                }
            }

            lines.Add($"partition {p}: {length} entries; {string.Join(", ", holders)}; "
                + (claimed.Count == 0 ? "no claimed pending record" : string.Join(", ", claimed)));
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// What the store and Redis hold for each key, read directly (not through a sidecar); delete
    /// tombstones are filtered out the way docs/decisions/0013 tells other services to.
    /// </summary>
    public async Task<Dictionary<string, FinalState>> ReadFinalStateAsync(IEnumerable<string> keys)
    {
        // The test store's connection string fails fast (2 s) on purpose; this one read must not fail because
        // a busy machine was slow to answer the driver's handshake.
        var settings = MongoClientSettings.FromConnectionString(_mongo);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(30);
        settings.ConnectTimeout = TimeSpan.FromSeconds(30);
        using var client = new MongoClient(settings);
        var collection = client.GetDatabase(Database).GetCollection<BsonDocument>(Collection);
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
            // A failed Put keeps its value: it may still have landed, and a read of that value tells its version.
            var written = kind == OpKind.Put ? value : null;
            return new Op(client, sidecar, kind, key, invoke, Stopwatch.GetTimestamp(), false, false, 0, written,
                $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }
}
