using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;
using StackExchange.Redis;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>Part 1 of the report.</summary>
/// <param name="Scenarios">In run order.</param>
/// <param name="WriteBehindSkipped">Why the write-behind Put was not measured, or null.</param>
/// <param name="BacklogAfterPut">wbbench's backlog right after the Put window (flushers were running), or null.</param>
internal sealed record ThroughputResults(IReadOnlyList<ScenarioResult> Scenarios, string? WriteBehindSkipped, long? BacklogAfterPut)
{
    public ScenarioResult? Find(string name) => Scenarios.FirstOrDefault(s => s.Load.Name == name);
}

/// <summary>
/// Part 1: closed-loop throughput of the sidecar's Get hit and write-behind Put next to the two things
/// they cannot beat — a direct Redis GET and a gRPC call that does no cache work — all in one run, one
/// sidecar process, one shared GrpcChannel (one HTTP/2 connection) and the same concurrency.
/// </summary>
internal static class ThroughputBenchmark
{
    public const string DirectRedis = "Direct Redis GET (StackExchange.Redis)";
    public const string HealthCheck = "gRPC Health/Check (baseline)";
    public const string ListNamespaces = "gRPC ListNamespaces (in-memory RPC)";
    public const string GetHit = "Sidecar Get, cache hit (CacheAside)";
    public const string WriteBehindPut = "Sidecar Put, write-behind";
    public const string WriteBehindPutAckOnly = "Sidecar Put, write-behind, flushers on another instance";

    private const int GetKeys = 1_000;
    private const int PutKeys = 10_000;

    public static async Task<ThroughputResults> RunAsync(BackingServers servers, BenchOptions options, CancellationToken cancellationToken)
    {
        var (sidecar, skipped) = await StartSidecarAsync(servers, cancellationToken);
        await using (sidecar)
        {
            Console.WriteLine($"Sidecar pid {sidecar.Pid} on {sidecar.Address}; {options.Concurrency} callers, {BenchOptions.WarmUp.TotalSeconds:0} s warm-up + {options.DurationSeconds} s per scenario.");
            using var channel = GrpcChannel.ForAddress(sidecar.Address);
            var cache = new Cache.CacheClient(channel);
            var health = new Health.HealthClient(channel);
            var value = ByteString.CopyFrom(Payload.JsonValue);
            var meter = new ScenarioMeter(servers, sidecar, options.Concurrency, options.Duration);
            Task Measure(string name, Operation operation) => meter.MeasureAsync(name, operation, cancellationToken);

            // 1. Baseline: the same 1 KB value straight from Redis, no sidecar in the path.
            var redis = servers.Redis.GetDatabase();
            var rawKeys = await Prefill.RawRedisKeysAsync(redis, "bench:raw:", GetKeys);
            await Measure(DirectRedis, async (sequence, _) =>
                (await redis.StringGetAsync(rawKeys[sequence % GetKeys])).Length() == Payload.ValueBytes);

            // 2. Baseline: the cheapest call the brief names on the sidecar's own server. Note that
            //    Grpc.AspNetCore.HealthChecks runs the registered checks on every Check (a Redis PING
            //    and a store point read here): the backend columns of the report show it.
            await Measure(HealthCheck, async (_, ct) =>
                (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: ct)).Status == HealthCheckResponse.Types.ServingStatus.Serving);

            // 2b. A call that really does no backend work: the same server, interceptors and HTTP/2 path.
            await Measure(ListNamespaces, async (_, ct) =>
                (await cache.ListNamespacesAsync(new ListNamespacesRequest(), cancellationToken: ct)).Namespaces.Count > 0);

            // 3. Get hits: 1,000 keys written, then read once so every entry is in Redis.
            var getKeys = Payload.Keys("g", GetKeys);
            await Prefill.GetHitKeysAsync(cache, BenchNamespaces.GetHit, getKeys, options.Concurrency, cancellationToken);
            await Measure(GetHit, async (sequence, ct) =>
            {
                var reply = await cache.GetAsync(new GetRequest { Namespace = BenchNamespaces.GetHit, Key = getKeys[sequence % GetKeys] }, cancellationToken: ct);
                return reply is { Found: true, Source: ValueSource.Cache };
            });

            // 4. Write-behind Puts over 10,000 keys, with the sidecar's flushers running as in production.
            long? backlogAfterPut = null;
            if (skipped is null)
            {
                var putKeys = Payload.Keys("w", PutKeys);
                await Measure(WriteBehindPut, async (sequence, ct) =>
                {
                    var reply = await cache.PutAsync(
                        new PutRequest { Namespace = BenchNamespaces.WriteBehindPut, Key = putKeys[sequence % PutKeys], Value = value, ContentType = Payload.JsonContentType },
                        cancellationToken: ct);
                    return reply.Queued;
                });
                backlogAfterPut = await WriteBehindBacklog.ReadAsync(redis, BenchNamespaces.WriteBehindPut);

                // 5. The same Puts on an instance that runs no flushers (RunFlushers=false), as when
                //    flushing is left to other pods: the caller-facing acknowledgement path alone,
                //    without this 2-core machine also doing the store writes and the test store's work.
                await using var ackOnly = await BenchSidecar.StartAsync(
                    "ack-only",
                    BenchNamespaces.Backends(servers).WithWriteBehind(BenchNamespaces.WriteBehindPutAckOnly, batchSize: 500).WithFlushers(run: false),
                    cancellationToken);
                using var ackChannel = GrpcChannel.ForAddress(ackOnly.Address);
                var ackCache = new Cache.CacheClient(ackChannel);
                await meter.MeasureAsync(WriteBehindPutAckOnly, async (sequence, ct) =>
                {
                    var reply = await ackCache.PutAsync(
                        new PutRequest { Namespace = BenchNamespaces.WriteBehindPutAckOnly, Key = putKeys[sequence % PutKeys], Value = value, ContentType = Payload.JsonContentType },
                        cancellationToken: ct);
                    return reply.Queued;
                }, cancellationToken, target: ackOnly);
            }

            return new ThroughputResults(meter.Results, skipped, backlogAfterPut);
        }
    }

    /// <summary>
    /// One sidecar with both bench namespaces. A build that refuses WriteBehind is started again
    /// without it, so the other scenarios still run and the report says what was skipped.
    /// </summary>
    private static async Task<(SidecarProcess Sidecar, string? WriteBehindSkipped)> StartSidecarAsync(BackingServers servers, CancellationToken cancellationToken)
    {
        var withWriteBehind = BenchNamespaces.Backends(servers)
            .WithCacheAside(BenchNamespaces.GetHit)
            .WithWriteBehind(BenchNamespaces.WriteBehindPut, batchSize: 500)
            .WithFlushers(run: true);
        try
        {
            return (await BenchSidecar.StartAsync("throughput", withWriteBehind, cancellationToken), null);
        }
        catch (SidecarExitedException ex) when (BenchNamespaces.IsWriteBehindUnavailable(ex))
        {
            const string reason = "WriteBehind is not available in this build (the sidecar refused to start with it)";
            Console.WriteLine($"!! {reason}; measuring the other scenarios without it.");
            var withoutWriteBehind = BenchNamespaces.Backends(servers).WithCacheAside(BenchNamespaces.GetHit);
            return (await BenchSidecar.StartAsync("throughput", withoutWriteBehind, cancellationToken), reason);
        }
    }
}
