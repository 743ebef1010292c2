using CacheSidecar.Redis;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// Write-behind's promise, "no acknowledged write is ever lost", checked against real sidecar
/// processes, a real redis-server and a real store socket (DESIGN §4, §6; issue: durable
/// write-behind). The sidecars are killed, the store and Redis are stopped, and afterwards every
/// key must hold its last acknowledged value at its acknowledged version.
/// </summary>
public sealed class WriteBehindDurabilityTests(RedisSingleFixture redis)
{
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigkill_of_one_of_two_sidecars_mid_flush_loses_no_acknowledged_write()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        store.WireServer!.ResponseDelay = TimeSpan.FromMilliseconds(3); // flushes take time, so the victim holds entries
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (victim, victimClient) = await cluster.StartSidecarAsync("victim");
        var (survivor, survivorClient) = await cluster.StartSidecarAsync("survivor");
        var keys = Enumerable.Range(0, 500).Select(i => $"key-{i:D3}").ToList();

        var killed = 0;
        long heldAtKill = 0;
        var writing = cluster.WriteAsync(
            keys,
            rounds: 20, // 10,000 writes
            writers: 8,
            key => key.GetHashCode(StringComparison.Ordinal) % 2 == 0 ? [victimClient, survivorClient] : [survivorClient],
            afterEachAck: async () =>
            {
                if (cluster.Acknowledged >= 3_000 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    // Freeze the victim, look: kill it only while it holds unacknowledged entries.
                    await WriteBehindProbe.WaitUntilAsync(
                        async () =>
                        {
                            victim.Freeze();
                            heldAtKill = await probe.HeldByAsync("victim");
                            if (heldAtKill == 0)
                            {
                                victim.Thaw();
                            }

                            return heldAtKill > 0;
                        },
                        TimeSpan.FromSeconds(20),
                        "the victim holds unflushed entries");
                    victim.Kill();
                }
            });
        await writing;

        Assert.Equal(1, killed);
        Assert.True(victim.HasExited);
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "the survivor drained the backlog");
        Assert.True(heldAtKill > 0, "the victim died holding no entries: nothing to reclaim, the test proved nothing");
        Assert.Contains("reclaimed", survivor.Output, StringComparison.Ordinal); // the victim's entries were taken over
        Assert.Equal(500, cluster.LastAcknowledged.Count);
        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
    }

    [Fact]
    public async Task With_the_store_down_for_30_seconds_puts_keep_succeeding_and_the_backlog_drains_in_order_per_key()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (_, client) = await cluster.StartSidecarAsync("only");
        var keys = Enumerable.Range(0, 200).Select(i => $"key-{i:D3}").ToList();
        await cluster.WriteAsync(keys, rounds: 2, writers: 8, _ => [client]);

        await store.WireServer!.StopAsync();
        var downSince = Stopwatch.StartNew();
        await cluster.WriteAsync(keys, rounds: 10, writers: 8, _ => [client]); // must all succeed: WriteAsync retries only 3 times
        var backlogWhileDown = await probe.BacklogAsync();
        Assert.True(backlogWhileDown >= keys.Count, $"backlog while the store is down: {backlogWhileDown}");

        // Record the order in which the store receives each key's versions once it is back.
        var versionsPerKey = new ConcurrentDictionary<string, List<long>>(StringComparer.Ordinal);
        store.WireServer.CommandReceived = command => RecordUpserts(command, versionsPerKey);
        await Task.Delay(TimeSpan.FromSeconds(30) - downSince.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero); // the outage lasts 30 s
        await store.WireServer.StartAsync();

        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "the backlog drained after the store came back");
        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
        Assert.All(versionsPerKey, pair => Assert.Equal(pair.Value.Order().ToList(), pair.Value)); // in order per key
    }

    [Fact]
    public async Task Redis_with_aof_always_sigkilled_and_restarted_while_the_store_is_down_loses_no_acknowledged_write()
    {
        await using var aofRedis = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.AofAlways, RequireProcessControl = true });
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await store.WireServer!.StopAsync(); // nothing can be flushed: every write lives only in Redis
        await using var cluster = new WriteBehindCluster(aofRedis.EndPoint, store.ConnectionString);
        var (_, client) = await cluster.StartSidecarAsync("aof");
        var keys = Enumerable.Range(0, 100).Select(i => $"key-{i:D3}").ToList();
        await cluster.WriteAsync(keys, rounds: 5, writers: 4, _ => [client]);

        aofRedis.Kill(); // SIGKILL: no shutdown save, only what appendfsync always wrote
        await aofRedis.RestartAsync();
        await store.WireServer.StartAsync();

        await using var probe = new WriteBehindProbe(aofRedis.EndPoint, cluster.Policy());
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "the backlog drained after Redis and the store came back");
        Assert.Equal(500, cluster.Acknowledged);
        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
    }

    [Fact]
    public async Task Two_instances_flushing_one_namespace_store_each_write_at_the_newest_version_exactly_once()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var writesPerVersion = new ConcurrentDictionary<(string Key, long Version), int>();
        var versionsPerKey = new ConcurrentDictionary<string, List<long>>(StringComparer.Ordinal);
        store.WireServer!.CommandReceived = command =>
        {
            foreach (var (key, version) in RecordUpserts(command, versionsPerKey))
            {
                writesPerVersion.AddOrUpdate((key, version), 1, (_, n) => n + 1);
            }
        };
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (a, clientA) = await cluster.StartSidecarAsync("a", new Dictionary<string, string?> { ["WriteBehind__BatchSize"] = "20" });
        var (b, clientB) = await cluster.StartSidecarAsync("b", new Dictionary<string, string?> { ["WriteBehind__BatchSize"] = "20" });
        var keys = Enumerable.Range(0, 200).Select(i => $"key-{i:D3}").ToList();

        await cluster.WriteAsync(keys, rounds: 25, writers: 8, key => key.GetHashCode(StringComparison.Ordinal) % 2 == 0 ? [clientA] : [clientB]);
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "both instances drained the backlog");

        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
        var duplicates = writesPerVersion.Where(pair => pair.Value > 1).Select(pair => $"{pair.Key.Key}@{pair.Key.Version} x{pair.Value}").ToList();
        Assert.True(duplicates.Count == 0, "written more than once: " + string.Join(", ", duplicates.Take(10)));
        Assert.All(versionsPerKey, pair => Assert.Equal(pair.Value.Order().ToList(), pair.Value)); // never an older version after a newer one
        Assert.Contains("flusher a started", a.Output, StringComparison.Ordinal);
        Assert.Contains("flusher b started", b.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_document_the_store_rejects_is_dead_lettered_and_the_rest_keep_flowing()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        // The collection refuses documents with poison: true (a schema rule the sidecar does not know).
        await new MongoClient(store.ConnectionString).GetDatabase(WriteBehindCluster.Database).CreateCollectionAsync(
            cluster.Collection,
            new CreateCollectionOptions<BsonDocument> { Validator = new BsonDocument("poison", new BsonDocument("$ne", true)) });
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (sidecar, client) = await cluster.StartSidecarAsync("dlq");
        var keys = Enumerable.Range(0, 50).Select(i => $"good-{i:D2}").ToList();

        await cluster.WriteAsync(keys, rounds: 1, writers: 4, _ => [client]);
        var poison = await client.PutAsync(new PutRequest
        {
            Namespace = cluster.Namespace,
            Key = "poisoned",
            Value = Google.Protobuf.ByteString.CopyFromUtf8("{\"poison\":true}"),
            ContentType = GrpcTestExtensions.Json,
        });
        await cluster.WriteAsync(keys, rounds: 2, writers: 4, _ => [client]);

        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "the backlog drained");
        var deadLetter = Assert.Single(await probe.DeadLettersAsync());
        Assert.Equal("poisoned", (string?)deadLetter["k"]);
        Assert.Equal(poison.Etag, (string?)deadLetter["v"]);
        Assert.Equal("{\"poison\":true}", (string?)deadLetter["d"]);
        Assert.Contains("121", (string?)deadLetter["error"], StringComparison.Ordinal);
        Assert.Contains("moved to the dead-letter stream after 3 attempt(s)", sidecar.Output, StringComparison.Ordinal);
        Assert.False((await cluster.StoredAsync()).ContainsKey("poisoned"));
        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
    }

    [Fact]
    public async Task Max_backlog_reached_fails_resource_exhausted_and_writes_nothing_of_that_put()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await store.WireServer!.StopAsync();
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        var settings = new Dictionary<string, string?> { ["Partitions"] = "1", ["WriteBehind__MaxBacklog"] = "5" };
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy(settings));
        var (_, client) = await cluster.StartSidecarAsync("full", settings);
        for (var i = 0; i < 5; i++)
        {
            await cluster.PutAsync(client, $"key-{i}", 1);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => cluster.PutAsync(client, "key-5", 1));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("MaxBacklog", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(5, await probe.BacklogAsync());
        Assert.False(await probe.HasPendingAsync("key-5"));
        Assert.False(await probe.HasEntryAsync("key-5"));
    }

    [Fact]
    public async Task A_caller_reads_its_own_pending_write_after_the_cache_entry_expired()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await store.WireServer!.StopAsync(); // the write stays pending
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        var settings = new Dictionary<string, string?> { ["Ttl"] = "00:00:01" };
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (_, client) = await cluster.StartSidecarAsync("ryw", settings);

        var put = await cluster.PutAsync(client, "mine", 1);
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.EntryExpiredAsync("mine"), TimeSpan.FromSeconds(10), "the cache entry expired");
        var read = await client.GetAsync(new GetRequest { Namespace = cluster.Namespace, Key = "mine" });

        // The expired entry is still the pending record: Redis keeps it (no TTL) until the flush.
        Assert.True(await probe.HasPendingAsync("mine"));
        Assert.Null(await probe.Db.KeyTimeToLiveAsync(RedisKeyLayout.For(cluster.Policy(), "mine").Entry));
        Assert.True(read.Found);
        Assert.Equal(ValueSource.Pending, read.Source);
        Assert.Equal(put.Etag, read.Etag);
        Assert.Equal("{\"k\":\"mine\",\"r\":1}", read.Value.ToStringUtf8());
    }

    [Fact]
    public async Task Sigterm_flushes_what_the_instance_holds_within_the_grace_period_and_leaves_the_rest_to_others()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        store.WireServer!.ResponseDelay = TimeSpan.FromMilliseconds(50); // ~200 documents/s: a backlog builds up
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        var (leaving, client) = await cluster.StartSidecarAsync(
            "leaving",
            new Dictionary<string, string?> { ["WriteBehind__BatchSize"] = "10" },
            new Dictionary<string, string?> { ["DOTNET_shutdownTimeoutSeconds"] = "20" });
        var keys = Enumerable.Range(0, 300).Select(i => $"key-{i:D3}").ToList();
        await cluster.WriteAsync(keys, rounds: 5, writers: 8, _ => [client]);
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.HeldByAsync("leaving") > 0, TimeSpan.FromSeconds(20), "the instance holds entries");

        var clock = Stopwatch.StartNew();
        leaving.Terminate();
        var exitCode = await leaving.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"exited after {clock.Elapsed}");
        Assert.Equal(0, await probe.HeldByAsync("leaving")); // what it held was flushed
        Assert.Contains("shutdown flush done; 0 entries", leaving.Output, StringComparison.Ordinal);
        Assert.True(await probe.BacklogAsync() > 0, "expected unflushed writes left in Redis for other instances");

        await cluster.StartSidecarAsync("successor");
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "the successor drained the rest");
        await cluster.AssertStoreHoldsEveryLastAcknowledgedWriteAsync();
    }

    /// <summary>The (key, version) of every guarded upsert in an update command, in arrival order.</summary>
    [Fact]
    public async Task A_flusher_sigstopped_past_reclaim_after_on_its_store_write_cannot_resurrect_a_newer_delete()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var cluster = new WriteBehindCluster(redis.Configuration, store.ConnectionString);
        var key = $"frozen-{Guid.NewGuid():N}";
        SidecarProcess? frozen = null;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        store.WireServer!.CommandReceived = command =>
        {
            // The first flush of the key: SIGSTOP its sender, and keep the write from reaching the store until
            // the test lets it go: a flusher frozen between its claim and its store write.
            if (frozen is not null
                && RecordUpserts(command, new ConcurrentDictionary<string, List<long>>()).Any(w => w.Key == key)
                && held.TrySetResult())
            {
                frozen.Freeze();
                release.Wait(TimeSpan.FromSeconds(60));
            }
        };
        (frozen, var frozenClient) = await cluster.StartSidecarAsync("frozen");
        var put = await cluster.PutAsync(frozenClient, key, round: 1);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Another instance deletes the key, reclaims the frozen flusher's claim after ReclaimAfter (2 s) and flushes
        // the delete: the store holds a tombstone newer than the frozen write.
        var (_, otherClient) = await cluster.StartSidecarAsync("other");
        await otherClient.DeleteAsync(new DeleteRequest { Namespace = cluster.Namespace, Key = key });
        var collection = new MongoClient(cluster.Mongo).GetDatabase(WriteBehindCluster.Database)
            .GetCollection<BsonDocument>(cluster.Collection);
        await WriteBehindProbe.WaitUntilAsync(
            async () => await collection.Find(new BsonDocument { ["_id"] = key, ["_cs.d"] = true }).AnyAsync(),
            DrainBound, "the other instance flushed the delete");
        var deleteVersion = (await collection.Find(new BsonDocument("_id", key)).SingleAsync())["_cs"]["v"].ToInt64();
        Assert.True(deleteVersion > long.Parse(put.Etag, CultureInfo.InvariantCulture));

        // SIGCONT: the frozen write reaches the store late, and its version guard refuses it.
        release.Set();
        frozen.Thaw();
        await using var probe = new WriteBehindProbe(redis.Configuration, cluster.Policy());
        await WriteBehindProbe.WaitUntilAsync(async () => await probe.BacklogAsync() == 0, DrainBound, "both flushers finished");

        var stored = await collection.Find(new BsonDocument("_id", key)).SingleAsync();
        Assert.True(stored["_cs"]["d"].AsBoolean, $"the key came back: {stored}");
        Assert.Equal(deleteVersion, stored["_cs"]["v"].ToInt64());
        foreach (var client in new[] { frozenClient, otherClient })
        {
            var read = await client.GetAsync(new GetRequest { Namespace = cluster.Namespace, Key = key });
            Assert.False(read.Found, "a sidecar still serves the deleted value");
        }
    }

    private static List<(string Key, long Version)> RecordUpserts(BsonDocument command, ConcurrentDictionary<string, List<long>> versionsPerKey)
    {
        var found = new List<(string, long)>();
        if (!command.Contains("update") || !command.TryGetValue("updates", out var updates))
        {
            return found;
        }

        foreach (var statement in updates.AsBsonArray.Select(u => u.AsBsonDocument))
        {
            if (statement["q"].AsBsonDocument.TryGetValue("_id", out var id) && statement["u"].AsBsonDocument.TryGetValue("_cs", out var meta))
            {
                var key = id.AsString;
                var version = meta["v"].ToInt64();
                found.Add((key, version));
                var list = versionsPerKey.GetOrAdd(key, _ => []);
                lock (list)
                {
                    list.Add(version);
                }
            }
        }

        return found;
    }
}
