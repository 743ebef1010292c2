using System.Collections.Concurrent;
using CacheSidecar.Configuration;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// Real sidecar processes sharing one write-behind namespace over one Redis and one store, plus
/// the bookkeeping the durability tests need: every acknowledged write per key, and what the
/// store finally holds.
/// </summary>
internal sealed class WriteBehindCluster : IAsyncDisposable
{
    public const string Database = "wbproc";

    private readonly List<(SidecarProcess Process, GrpcChannel Channel)> _sidecars = [];

    public WriteBehindCluster(string redis, string mongo, string? namespaceName = null)
    {
        Redis = redis;
        Mongo = mongo;
        Namespace = namespaceName ?? $"wbp-{Guid.NewGuid():N}"[..20];
    }

    public string Redis { get; }

    public string Mongo { get; }

    public string Namespace { get; }

    public string Collection => Namespace.Replace('-', '_');

    /// <summary>The last acknowledged write per key: its round and its etag.</summary>
    public ConcurrentDictionary<string, (int Round, string Etag)> LastAcknowledged { get; } = new(StringComparer.Ordinal);

    public int Acknowledged => _acknowledged;

    private int _acknowledged;

    /// <summary>The namespace's policy as the sidecars resolve it (for key layout in probes).</summary>
    public NamespacePolicy Policy(IDictionary<string, string?>? overrides = null)
    {
        var options = new NamespaceOptions { Strategy = CacheStrategy.WriteBehind, Collection = Collection };
        if (overrides is not null && overrides.TryGetValue("Partitions", out var partitions))
        {
            options = options with { Partitions = int.Parse(partitions!, System.Globalization.CultureInfo.InvariantCulture) };
        }

        return NamespacePolicy.From(Namespace, options);
    }

    /// <summary>Starts a sidecar process with the namespace; <paramref name="namespaceSettings"/> override its write-behind settings.</summary>
    public async Task<(SidecarProcess Process, Cache.CacheClient Client)> StartSidecarAsync(string consumer, IDictionary<string, string?>? namespaceSettings = null, IDictionary<string, string?>? environment = null)
    {
        var prefix = $"Sidecar__Namespaces__{Namespace}__";
        var env = new Dictionary<string, string?>
        {
            ["Sidecar__Redis__Configuration"] = Redis,
            ["Sidecar__Mongo__ConnectionString"] = Mongo,
            ["Sidecar__Mongo__Database"] = Database,
            ["Sidecar__Mongo__ServerSelectionTimeout"] = "00:00:02",
            ["Sidecar__WriteBehind__ConsumerName"] = consumer,
            [prefix + "Strategy"] = "WriteBehind",
            [prefix + "Collection"] = Collection,
            [prefix + "Ttl"] = "00:10:00",
            [prefix + "WriteBehind__BatchSize"] = "100",
            [prefix + "WriteBehind__FlushInterval"] = "00:00:00.050",
            [prefix + "WriteBehind__ReclaimAfter"] = "00:00:02",
            [prefix + "WriteBehind__RetryBaseDelay"] = "00:00:00.100",
            [prefix + "WriteBehind__RetryMaxDelay"] = "00:00:01",
            [prefix + "WriteBehind__MaxAttempts"] = "3",
        };
        foreach (var (key, value) in namespaceSettings ?? new Dictionary<string, string?>())
        {
            env[prefix + key] = value;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        var process = TestSidecar.Start(env);
        var channel = GrpcChannel.ForAddress(process.Address);
        _sidecars.Add((process, channel)); // disposed (killed) with the cluster even if it never serves
        await process.WaitUntilServingAsync(TestSidecar.ServeTimeout, anyStatus: true); // the store may be down on purpose
        return (process, new Cache.CacheClient(channel));
    }

    /// <summary>Puts one JSON value <c>{"k": key, "r": round}</c>; records it as acknowledged when the sidecar says so.</summary>
    public async Task<PutResponse> PutAsync(Cache.CacheClient client, string key, int round, string? extraJson = null)
    {
        var json = $"{{\"k\":\"{key}\",\"r\":{round}{(extraJson is null ? string.Empty : "," + extraJson)}}}";
        var response = await client.PutAsync(
            new PutRequest { Namespace = Namespace, Key = key, Value = ByteString.CopyFromUtf8(json), ContentType = GrpcTestExtensions.Json },
            deadline: DateTime.UtcNow.AddSeconds(10));
        LastAcknowledged.AddOrUpdate(key, (round, response.Etag), (_, previous) => round >= previous.Round ? (round, response.Etag) : previous);
        Interlocked.Increment(ref _acknowledged);
        return response;
    }

    /// <summary>
    /// Writes <paramref name="rounds"/> rounds over <paramref name="keys"/> with <paramref name="writers"/>
    /// concurrent writers; each key belongs to one writer, so its writes are sequential and "last
    /// acknowledged" is well defined. A write whose sidecar fails is retried on the next client.
    /// </summary>
    public Task WriteAsync(IReadOnlyList<string> keys, int rounds, int writers, Func<string, Cache.CacheClient[]> clientsFor, Func<Task>? afterEachAck = null) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var mine = keys.Where((_, i) => i % writers == writer).ToList();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var key in mine)
                {
                    var clients = clientsFor(key);
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            await PutAsync(clients[Math.Min(attempt, clients.Length - 1)], key, round);
                            break;
                        }
                        catch (RpcException) when (attempt < clients.Length + 3)
                        {
                            // That sidecar is gone (killed): the write was not acknowledged; send it elsewhere.
                        }
                    }

                    if (afterEachAck is not null)
                    {
                        await afterEachAck();
                    }
                }
            }
        }));

    /// <summary>Everything in the namespace's collection, by <c>_id</c>.</summary>
    public async Task<Dictionary<string, BsonDocument>> StoredAsync()
    {
        var collection = new MongoClient(Mongo).GetDatabase(Database).GetCollection<BsonDocument>(Collection);
        var documents = await collection.Find(Builders<BsonDocument>.Filter.Ne("_cs.d", true)).ToListAsync();
        return documents.ToDictionary(d => d["_id"].AsString, StringComparer.Ordinal);
    }

    /// <summary>Every key holds its last acknowledged round at its acknowledged version: none missing, none regressed.</summary>
    public async Task AssertStoreHoldsEveryLastAcknowledgedWriteAsync()
    {
        var stored = await StoredAsync();
        var problems = new List<string>();
        foreach (var (key, (round, etag)) in LastAcknowledged)
        {
            if (!stored.TryGetValue(key, out var document))
            {
                problems.Add($"{key}: missing (last acknowledged round {round})");
                continue;
            }

            var storedRound = document["r"].ToInt32();
            var storedVersion = document["_cs"]["v"].ToInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (storedRound != round || storedVersion != etag)
            {
                problems.Add($"{key}: store has round {storedRound} v{storedVersion}, last acknowledged round {round} v{etag}");
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} of {LastAcknowledged.Count} keys wrong:\n{string.Join('\n', problems.Take(20))}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, channel) in _sidecars)
        {
            channel.Dispose();
            await process.DisposeAsync();
        }
    }
}
