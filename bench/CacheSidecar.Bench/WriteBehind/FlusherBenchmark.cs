using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Net.Client;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>One batch size's flush measurement.</summary>
/// <param name="BatchSize">WriteBehind:BatchSize of the namespace.</param>
/// <param name="Docs">Distinct keys Put (one document each).</param>
/// <param name="QueueRate">Put/s while sidecar A queued them (no flusher running).</param>
/// <param name="BacklogBefore">Sum of XLEN after the Puts; should equal <paramref name="Docs"/>.</param>
/// <param name="Drain">From the last poll that saw no flusher activity to the first that saw backlog 0.</param>
/// <param name="LaunchToEmpty">From starting sidecar B's process to backlog 0 (includes .NET start-up).</param>
/// <param name="LaunchToServing">From starting sidecar B to its health answering SERVING.</param>
/// <param name="DocsInStore">Documents in the collection afterwards, counted through the MongoDB driver.</param>
/// <param name="Problem">Why there is no number (no progress, sidecar exited), or null.</param>
internal sealed record FlushResult(
    int BatchSize,
    int Docs,
    double QueueRate,
    long BacklogBefore,
    TimeSpan? Drain,
    TimeSpan? LaunchToEmpty,
    TimeSpan? LaunchToServing,
    long DocsInStore,
    string? Problem)
{
    public double? DocsPerSecond => Drain is { } drain && Problem is null ? Docs / Math.Max(drain.TotalSeconds, 1e-6) : null;
}

/// <summary>
/// Part 2: how fast the flushers empty a backlog. For each batch size a sidecar A with flushers off
/// queues N documents into a fresh namespace; A is killed; a sidecar B with flushers on and the same
/// namespace configuration is started, and the backlog (XLEN, read directly from Redis) is polled
/// until it is 0. Timing the drain alone, rather than Put+flush, isolates the flusher from the
/// request path and from start-up.
/// </summary>
internal static class FlusherBenchmark
{
    public static readonly IReadOnlyList<int> BatchSizes = [1, 100, 500];

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    // A drain that stops moving for this long is reported as stuck instead of hanging the bench.
    private static readonly TimeSpan NoProgressLimit = TimeSpan.FromSeconds(30);

    /// <summary>Batch size 1 flushes one document per store round trip: a tenth of the documents keeps it short.</summary>
    public static int DocsFor(int batchSize, int docs) => batchSize == 1 ? Math.Max(1, docs / 10) : docs;

    public static async Task<IReadOnlyList<FlushResult>> RunAsync(BackingServers servers, BenchOptions options, CancellationToken cancellationToken)
    {
        var results = new List<FlushResult>();
        foreach (var batchSize in BatchSizes)
        {
            Console.Write($"  BatchSize {batchSize}: ");
            FlushResult result;
            try
            {
                result = await RunOneAsync(servers, options, batchSize, cancellationToken);
            }
            catch (SidecarExitedException ex)
            {
                // One broken batch size should not hide the others' numbers.
                var lastLines = string.Join(" | ", ex.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
                result = new FlushResult(batchSize, DocsFor(batchSize, options.Docs), 0, 0, null, null, null, 0, $"sidecar exited with code {ex.ExitCode}: {lastLines}");
            }

            results.Add(result);
            Console.WriteLine(result.Problem is null
                ? $"{result.Docs:N0} docs drained in {result.Drain!.Value.TotalSeconds:F2} s = {result.DocsPerSecond:N0} docs/s; {result.DocsInStore:N0} in the store"
                : $"!! {result.Problem}");
        }

        return results;
    }

    private static async Task<FlushResult> RunOneAsync(BackingServers servers, BenchOptions options, int batchSize, CancellationToken cancellationToken)
    {
        var ns = BenchNamespaces.Flush(batchSize);
        var docs = DocsFor(batchSize, options.Docs);
        var redis = servers.Redis.GetDatabase();

        // A: accepts and queues, never flushes.
        var environmentA = BenchNamespaces.Backends(servers).WithWriteBehind(ns, batchSize).WithFlushers(run: false);
        TimeSpan fill;
        await using (var sidecarA = await BenchSidecar.StartAsync($"flush-A({batchSize})", environmentA, cancellationToken))
        {
            using var channel = GrpcChannel.ForAddress(sidecarA.Address);
            var cache = new Cache.CacheClient(channel);
            var value = ByteString.CopyFrom(Payload.JsonValue);
            var keys = Payload.Keys("f", docs);
            fill = await ClosedLoopLoad.RunCountAsync($"queue {ns}", options.Concurrency, docs, async (i, ct) =>
                (await cache.PutAsync(new PutRequest { Namespace = ns, Key = keys[i], Value = value, ContentType = Payload.JsonContentType }, cancellationToken: ct)).Queued,
                cancellationToken);
        }

        var backlogBefore = await WriteBehindBacklog.ReadAsync(redis, ns);
        Console.Write($"queued {docs:N0} at {docs / fill.TotalSeconds:N0}/s (backlog {backlogBefore:N0}); ");
        if (backlogBefore == 0)
        {
            return new FlushResult(batchSize, docs, docs / fill.TotalSeconds, 0, null, null, null, 0,
                "backlog is 0 right after the Puts: the stream keys are not cs:{<ns>:<p>}:log, or sidecar A flushed anyway");
        }

        // B: same namespace, flushers on. Timed from its launch; the flushers may start before gRPC serves.
        var environmentB = BenchNamespaces.Backends(servers).WithWriteBehind(ns, batchSize).WithFlushers(run: true);
        await using var sidecarB = BenchSidecar.Launch($"flush-B({batchSize})", environmentB);
        var serving = BenchSidecar.WaitUntilServingAsync(sidecarB, cancellationToken);
        var drain = await WaitForEmptyBacklogAsync(sidecarB, redis, ns, backlogBefore, cancellationToken);
        var launchToServing = await serving;
        var inStore = await servers.CountDocumentsAsync(ns, cancellationToken);
        return new FlushResult(batchSize, docs, docs / fill.TotalSeconds, backlogBefore, drain.Drain, drain.LaunchToEmpty, launchToServing, inStore, drain.Problem);
    }

    /// <summary>
    /// Polls until the backlog is 0. The drain starts at the last poll that saw no flusher activity
    /// (full backlog, nothing delivered to a consumer) and ends at the first poll that saw 0, both
    /// taken as the time the poll was sent; each end is exact to about one poll interval.
    /// </summary>
    private static async Task<(TimeSpan? Drain, TimeSpan? LaunchToEmpty, string? Problem)> WaitForEmptyBacklogAsync(
        SidecarProcess sidecar, StackExchange.Redis.IDatabase redis, string ns, long initial, CancellationToken cancellationToken)
    {
        var lastIdleAt = sidecar.Launched;
        var started = false;
        var lastChangeAt = sidecar.Launched;
        var last = initial;
        while (true)
        {
            sidecar.ThrowIfExited();
            var polledAt = Stopwatch.GetTimestamp();
            var backlog = await WriteBehindBacklog.ReadAsync(redis, ns);
            if (backlog == 0)
            {
                return (Stopwatch.GetElapsedTime(lastIdleAt, polledAt), Stopwatch.GetElapsedTime(sidecar.Launched, polledAt), null);
            }

            if (!started)
            {
                started = backlog < initial || await WriteBehindBacklog.DeliveredAsync(redis, ns) > 0;
                if (!started)
                {
                    lastIdleAt = polledAt;
                }
            }

            if (backlog != last)
            {
                last = backlog;
                lastChangeAt = polledAt;
            }
            else if (Stopwatch.GetElapsedTime(lastChangeAt, polledAt) > NoProgressLimit)
            {
                return (null, null, $"backlog stuck at {backlog:N0} of {initial:N0} for {NoProgressLimit.TotalSeconds:0} s");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
