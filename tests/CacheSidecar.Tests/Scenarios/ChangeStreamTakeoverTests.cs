using System.Diagnostics;
using System.Globalization;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.ChangeStreams;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Net.Client;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// DESIGN §10: one watcher per namespace across instances. Two sidecar processes; the one holding
/// the watcher lease is SIGKILLed; the other takes over within one lease period (plus the third of
/// a period a standby waits between tries) and resumes from the saved token, so a change another
/// service made after the kill is no longer served.
/// </summary>
public sealed class ChangeStreamTakeoverTests(RedisSingleFixture redis, ITestOutputHelper output)
{
    private const string Ns = "orders";
    private static readonly TimeSpan LeasePeriod = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task When_the_watcher_is_sigkilled_another_instance_takes_over_within_one_lease_period()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var keyPrefix = $"t{Guid.NewGuid():N}"[..12];
        var collection = ChangeStreamHarness.NewCollection();
        var policy = CacheSidecar.Configuration.NamespacePolicy.From(Ns, new NamespaceOptions { Collection = collection }, keyPrefix);
        var sidecars = new List<SidecarProcess>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var sidecar = TestSidecar.Start(new Dictionary<string, string?>
                {
                    ["Sidecar__Redis__Configuration"] = redis.Configuration,
                    ["Sidecar__Redis__KeyPrefix"] = keyPrefix,
                    ["Sidecar__Mongo__ConnectionString"] = store.WireServer!.PlainConnectionString,
                    ["Sidecar__Mongo__Database"] = "sidecar_tests",
                    [$"Sidecar__Namespaces__{Ns}__Strategy"] = "CacheAside",
                    [$"Sidecar__Namespaces__{Ns}__Collection"] = collection,
                    [$"Sidecar__Namespaces__{Ns}__Invalidation"] = "ChangeStream",
                    [$"Sidecar__Namespaces__{Ns}__ChangeStream__LeasePeriod"] = "00:00:02",
                    [$"Sidecar__Namespaces__{Ns}__ChangeStream__MaxAwaitTime"] = "00:00:00.100",
                });
                sidecars.Add(sidecar);
                await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);
            }

            await ChangeStreamHarness.WaitUntilWatchingAsync(redis.Configuration, policy);
            var holderId = await ChangeStreamHarness.HolderAsync(redis.Configuration, policy);
            var holder = sidecars.Single(s => holderId!.Split(':')[1] == s.Pid.ToString(CultureInfo.InvariantCulture));
            var survivor = sidecars.Single(s => s != holder);
            using var channel = GrpcChannel.ForAddress(survivor.Address);
            var client = new Cache.CacheClient(channel);
            var key = TestNamespaces.UniqueKey();
            await client.PutJsonAsync(Ns, key, """{"n":1}""");
            Assert.Equal(ValueSource.Store, (await client.GetAsync(Ns, key)).Source);
            Assert.Equal(ValueSource.Cache, (await client.GetAsync(Ns, key)).Source);

            holder.Kill();
            var committed = Stopwatch.GetTimestamp();
            await ChangeStreamHarness.Collection(store.ConnectionString, collection)
                .UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", key), Builders<BsonDocument>.Update.Set("n", 2));
            var stale = await ChangeStreamHarness.ReadsTurnAsync(
                () => client.GetAsync(Ns, key), r => r.Text() == """{"n":2}""", committed, "after the watcher died");

            output.WriteLine($"old value served for {stale.TotalMilliseconds:F0} ms after the commit (lease period {LeasePeriod.TotalMilliseconds:F0} ms)");
            Assert.True(stale <= LeasePeriod + (LeasePeriod / 3) + TimeSpan.FromSeconds(2), $"the old value was served {stale} after the commit");
            var newHolder = await ChangeStreamHarness.HolderAsync(redis.Configuration, policy);
            Assert.Equal(survivor.Pid.ToString(CultureInfo.InvariantCulture), newHolder!.Split(':')[1]);
        }
        finally
        {
            foreach (var sidecar in sidecars)
            {
                await sidecar.DisposeAsync();
            }
        }
    }
}
