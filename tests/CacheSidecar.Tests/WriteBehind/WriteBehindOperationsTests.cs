using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Redis;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Tests.WriteBehind;

/// <summary>
/// Write-behind around the edges (DESIGN §5, §6, issue: durable write-behind): Redis down
/// (fail or degrade per namespace), WAIT for replicas, partitions spread over cluster shards,
/// and the metrics operators watch.
/// </summary>
public sealed class WriteBehindOperationsTests(RedisSingleFixture redis, RedisClusterFixture cluster, MongoFixture mongo)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task With_redis_down_a_put_fails_unavailable_or_degrades_to_write_through_per_namespace()
    {
        await using var host = SidecarHost.Start($"127.0.0.1:{Ports.Unused()}", mongo.ConnectionString);
        var key = UniqueKey();

        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Client.PutJsonAsync(Wb, key, "1"));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("Write-behind needs Redis", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(await StoreProbe.LoadAsync(host, Wb, key)); // nothing written

        var degraded = await host.Client.PutJsonAsync(WbDegrading, key, "2");
        Assert.True(degraded.Persisted);
        Assert.False(degraded.Queued);
        var stored = await StoreProbe.LoadAsync(host, WbDegrading, key);
        Assert.Equal("2", stored!.Value.Span.ToArray().AsUtf8());
    }

    [Fact]
    public async Task With_redis_down_a_write_behind_get_fails_unavailable_instead_of_reading_a_store_that_may_be_behind()
    {
        // DESIGN §4, reads never go back in time: the store may lack acknowledged writes still
        // pending in Redis, so by default a write-behind read does not fall back to it.
        await using var host = SidecarHost.Start($"127.0.0.1:{Ports.Unused()}", mongo.ConnectionString);
        var key = UniqueKey();

        var get = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetAsync(Wb, key));
        Assert.Equal(StatusCode.Unavailable, get.StatusCode);
        Assert.Contains("OnCacheDownRead: Fail", get.Status.Detail, StringComparison.Ordinal);
        var batch = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.BatchGetAsync(new BatchGetRequest { Namespace = Wb, Keys = { key, UniqueKey() } }));
        Assert.Equal(StatusCode.Unavailable, batch.StatusCode);

        // Other strategies still read the store, which holds every acknowledged write.
        await host.Client.PutJsonAsync(CacheAside, key, "1");
        var fallback = await host.Client.GetAsync(CacheAside, key);
        Assert.Equal("1", fallback.Text());
        Assert.Equal(ValueSource.Store, fallback.Source);
        Assert.False(fallback.Stale);
    }

    [Fact]
    public async Task With_redis_down_a_write_behind_namespace_that_opts_in_serves_the_store_marked_stale()
    {
        await using var host = SidecarHost.Start($"127.0.0.1:{Ports.Unused()}", mongo.ConnectionString);
        var key = UniqueKey();
        await host.Client.PutJsonAsync(WbDegrading, key, "2"); // degrades to write-through: in the store

        var read = await host.Client.GetAsync(WbDegrading, key);
        Assert.True(read.Found);
        Assert.Equal("2", read.Text());
        Assert.Equal(ValueSource.Store, read.Source);
        Assert.True(read.Stale);

        var missing = UniqueKey();
        var batch = await host.Client.BatchGetAsync(new BatchGetRequest { Namespace = WbDegrading, Keys = { key, missing } });
        Assert.Equal(["2"], batch.Items.Where(i => i.Result.Found).Select(i => i.Result.Text()));
        Assert.All(batch.Items, item => Assert.True(item.Result.Stale));
    }

    [Fact]
    public async Task With_wait_for_replicas_a_put_is_acknowledged_only_once_a_replica_confirmed_it()
    {
        await using var primary = await RedisServerProcess.StartAsync();
        await using var replica = await RedisServerProcess.StartAsync(new RedisServerOptions { ExtraConfigLines = [$"replicaof 127.0.0.1 {primary.Port}"] });
        await using var host = SidecarHost.Start(primary.EndPoint, mongo.ConnectionString, settings =>
        {
            settings["Sidecar:Namespaces:wb-wait:Strategy"] = "WriteBehind";
            settings["Sidecar:Namespaces:wb-wait:Collection"] = "wb_items";
            settings["Sidecar:Namespaces:wb-wait:WriteBehind:WaitForReplicas"] = "1";
            // Long enough that a busy machine's replica still confirms in time (300 ms failed once under load),
            // short enough that the WAIT returns within the sidecar's 2 s Redis command timeout.
            settings["Sidecar:Namespaces:wb-wait:WriteBehind:WaitTimeout"] = "00:00:01";
        });
        var key = UniqueKey();
        await WriteBehindProbe.WaitUntilAsync(
            async () => await SidecarHost.StatusOf(() => host.Client.PutJsonAsync("wb-wait", key, "0")) == StatusCode.OK,
            Bound,
            "the replica is in sync");

        var confirmed = await host.Client.PutJsonAsync("wb-wait", key, "1");
        Assert.True(confirmed.Queued);

        await replica.StopAsync();
        var unconfirmed = await Assert.ThrowsAsync<RpcException>(() => host.Client.PutJsonAsync("wb-wait", key, "2"));
        Assert.Equal(StatusCode.Unavailable, unconfirmed.StatusCode);
        Assert.Contains("only 0 of 1 replica(s) confirmed", unconfirmed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_redis_cluster_the_partitions_of_one_namespace_spread_over_several_shards()
    {
        await using var host = SidecarHost.Start(cluster.Configuration, mongo.ConnectionString);
        var ns = Policy(host, Wb);
        host.Store.BeforeBatch = _ => throw new CacheSidecar.Core.StoreUnavailableException("hold the backlog (test)");
        for (var i = 0; i < 64; i++)
        {
            await host.Client.PutJsonAsync(Wb, UniqueKey(), "1");
        }

        await using var probe = new WriteBehindProbe(cluster.Configuration, ns);
        var shardsWithBacklog = new HashSet<EndPoint>();
        for (var p = 0; p < ns.Partitions; p++)
        {
            var log = RedisKeyLayout.Log(ns, p);
            if (await probe.Db.StreamLengthAsync(log) > 0)
            {
                shardsWithBacklog.Add((await probe.Db.IdentifyEndpointAsync(log))!);
            }
        }

        Assert.True(shardsWithBacklog.Count >= 2, $"partition logs with entries live on {shardsWithBacklog.Count} shard(s)");
    }

    [Fact]
    public async Task A_refused_document_is_retried_then_dead_lettered_with_a_metric_and_the_rest_keep_flowing()
    {
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, settings =>
        {
            settings["Sidecar:Namespaces:wb-dlq:Strategy"] = "WriteBehind";
            settings["Sidecar:Namespaces:wb-dlq:Collection"] = "wb_dlq_items";
            settings["Sidecar:Namespaces:wb-dlq:WriteBehind:MaxAttempts"] = "2";
            settings["Sidecar:Namespaces:wb-dlq:WriteBehind:FlushInterval"] = "00:00:01";
            settings["Sidecar:Namespaces:wb-dlq:WriteBehind:RetryBaseDelay"] = "00:00:01";
            settings["Sidecar:Namespaces:wb-dlq:WriteBehind:RetryMaxDelay"] = "00:00:01";
        });
        await RefusePoisonAsync("wb_dlq_items");
        using var metrics = new MetricsRecorder(host);
        await using var probe = new WriteBehindProbe(redis.Configuration, Policy(host, "wb-dlq"));
        var poisoned = UniqueKey("poison");
        var good = UniqueKey("good");
        var deadBefore = (await probe.DeadLettersAsync()).Length;

        await host.Client.PutJsonAsync("wb-dlq", poisoned, "{\"poison\":true}");
        await host.Client.PutJsonAsync("wb-dlq", good, "{\"poison\":false}");
        await WriteBehindProbe.WaitUntilAsync(
            async () => !await probe.HasPendingAsync(poisoned) && !await probe.HasPendingAsync(good),
            Bound,
            "both writes are settled",
            () => host.Time.Advance(TimeSpan.FromSeconds(1)));

        var deadLetters = await probe.DeadLettersAsync();
        var dead = Assert.Single(deadLetters.Skip(deadBefore), e => (string?)e["k"] == poisoned);
        Assert.Equal("2", (string?)dead["attempts"]);
        Assert.NotNull(await StoreProbe.LoadAsync(host, "wb-dlq", good));
        Assert.Null(await StoreProbe.LoadAsync(host, "wb-dlq", poisoned));
        Assert.False((await host.Client.GetAsync("wb-dlq", poisoned)).Found); // its cache entry went with it: reads agree with the store
        Assert.Equal(1, metrics.Sum("cachesidecar.writebehind.dead_lettered", "wb-dlq"));
    }

    [Fact]
    public async Task Metrics_report_enqueued_and_flushed_documents_batches_and_the_backlog()
    {
        await using var host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString);
        using var metrics = new MetricsRecorder(host);
        await using var probe = new WriteBehindProbe(redis.Configuration, Policy(host, Wb));
        var keys = Enumerable.Range(0, 3).Select(_ => UniqueKey()).ToList();

        foreach (var key in keys)
        {
            await host.Client.PutJsonAsync(Wb, key, "1");
        }

        await WriteBehindProbe.WaitUntilAsync(
            async () => (await Task.WhenAll(keys.Select(probe.HasPendingAsync))).All(pending => !pending),
            Bound,
            "the writes are flushed",
            () => host.Time.Advance(FlushInterval));

        Assert.Equal(3, metrics.Sum("cachesidecar.writebehind.enqueued", Wb));
        Assert.True(metrics.Sum("cachesidecar.writebehind.flushed", Wb) >= 3);
        Assert.True(metrics.Count("cachesidecar.writebehind.flush.batch_size", Wb) >= 1);
        Assert.True(metrics.Count("cachesidecar.writebehind.flush.duration", Wb) >= 1);
        metrics.ObserveGauges();
        Assert.True(metrics.Count("cachesidecar.writebehind.backlog", Wb) >= 1);
        Assert.True(metrics.Count("cachesidecar.writebehind.oldest_pending_age", Wb) >= 1);
    }

    /// <summary>Gives a collection a validator refusing <c>{poison: true}</c> (creating it, or modifying it if it exists).</summary>
    private async Task RefusePoisonAsync(string collection)
    {
        var database = new MongoClient(mongo.ConnectionString).GetDatabase("sidecar_tests");
        var validator = new BsonDocument("poison", new BsonDocument("$ne", true));
        try
        {
            await database.CreateCollectionAsync(collection, new CreateCollectionOptions<BsonDocument> { Validator = validator });
        }
        catch (MongoCommandException ex) when (ex.Code == 48)
        {
            await database.RunCommandAsync<BsonDocument>(new BsonDocument { { "collMod", collection }, { "validator", validator } });
        }
    }

    private static NamespacePolicy Policy(SidecarHost host, string name)
    {
        host.Services.GetRequiredService<NamespaceRegistry>().TryGet(name, out var policy);
        return policy;
    }


    /// <summary>Records the measurements of one host's meters (its own IMeterFactory scope: parallel hosts do not mix in).</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentBag<(string Instrument, string? Namespace, double Value)> _measurements = [];

        public MetricsRecorder(SidecarHost host)
        {
            var factory = host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("cachesidecar.writebehind.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
            _listener.Start();
        }

        public void ObserveGauges() => _listener.RecordObservableInstruments();

        public double Sum(string instrument, string ns) => _measurements.Where(m => m.Instrument == instrument && m.Namespace == ns).Sum(m => m.Value);

        public int Count(string instrument, string ns) => _measurements.Count(m => m.Instrument == instrument && m.Namespace == ns);

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? ns = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "namespace")
                {
                    ns = tag.Value as string;
                }
            }

            _measurements.Add((instrument.Name, ns, value));
        }
    }
}
