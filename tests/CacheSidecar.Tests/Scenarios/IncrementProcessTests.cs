using System.Diagnostics;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Net.Client;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// Increment is exact under concurrency across instances (DESIGN §2, issue 14): 32 callers x 500 increments
/// of one key, split over two real sidecar processes on one Redis and one store, end at exactly 16,000 in
/// the cache and, once written (write-behind: flushed), in the store as a BSON number.
/// </summary>
public sealed class IncrementProcessTests(ITestOutputHelper output)
{
    private const string Namespace = "counters";
    private const string Collection = "counter_items";
    private const int Callers = 32;
    private const int IncrementsPerCaller = 500;
    private const long Expected = Callers * IncrementsPerCaller;

    private static readonly TimeSpan FlushBound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("CacheAside")]
    [InlineData("WriteThrough")]
    [InlineData("WriteBehind")]
    [InlineData("Ttl")]
    public async Task Thirty_two_callers_over_two_sidecars_end_at_exactly_16000(string strategy)
    {
        var pureCache = strategy == "Ttl";
        await using var redis = await RedisServerProcess.StartAsync();
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var database = $"counters_{strategy.ToLowerInvariant()}";
        await using var a = StartSidecar(strategy, redis.EndPoint, store.ConnectionString, database, pureCache);
        await using var b = StartSidecar(strategy, redis.EndPoint, store.ConnectionString, database, pureCache);
        await a.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await b.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        using var channelA = GrpcChannel.ForAddress(a.Address);
        using var channelB = GrpcChannel.ForAddress(b.Address);
        Cache.CacheClient[] clients = [new(channelA), new(channelB)];
        var key = TestNamespaces.UniqueKey("counter");

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var client = clients[caller % 2];
            for (var i = 0; i < IncrementsPerCaller; i++)
            {
                await client.IncrementAsync(new IncrementRequest { Namespace = Namespace, Key = key, Delta = 1 });
            }
        })));
        output.WriteLine($"{strategy}: {Expected} increments through two sidecars in {clock.Elapsed.TotalSeconds:F1} s "
            + $"({Expected / clock.Elapsed.TotalSeconds:F0}/s)");

        foreach (var client in clients)
        {
            var read = await client.GetAsync(Namespace, key);
            Assert.Equal($"{Expected}", read.Text());
            read = await client.GetAsync(Namespace, key); // cache-aside filled on the first read
            Assert.Equal(ValueSource.Cache, read.Source);
            Assert.Equal($"{Expected}", read.Text());
        }

        if (!pureCache)
        {
            var documents = new MongoClient(store.ConnectionString).GetDatabase(database).GetCollection<BsonDocument>(Collection);
            await WriteBehindProbe.WaitUntilAsync(
                async () => await StoredCounterAsync(documents, key) == Expected,
                FlushBound,
                $"the store holds {Expected} (it holds {await StoredCounterAsync(documents, key)})");
        }
    }

    /// <summary>The stored counter, read as another service would: a BSON number in the document's <c>value</c>.</summary>
    private static async Task<long?> StoredCounterAsync(IMongoCollection<BsonDocument> documents, string key)
    {
        var document = await documents.Find(Builders<BsonDocument>.Filter.Eq("_id", key)).FirstOrDefaultAsync();
        return document is not null && document.TryGetValue("value", out var value) && value.IsNumeric ? value.ToInt64() : null;
    }

    private static SidecarProcess StartSidecar(string strategy, string redis, string mongo, string database, bool pureCache)
    {
        const string prefix = $"Sidecar__Namespaces__{Namespace}__";
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar__Redis__Configuration"] = redis,
            ["Sidecar__Mongo__ConnectionString"] = mongo,
            ["Sidecar__Mongo__Database"] = database,
            [prefix + "Strategy"] = strategy,
        };
        if (!pureCache)
        {
            settings[prefix + "Collection"] = Collection;
        }

        return TestSidecar.Start(settings);
    }
}
