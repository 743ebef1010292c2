using System.Diagnostics;
using System.Globalization;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Testing.Redis;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Runs the fan-out simulation: a local 3-master Redis Cluster, one publisher, and in each round, for every instance
/// count, every scheme (classic first, so the schemes of one count run back to back), each point with subscribers
/// of its own. Rounds rather than repeating a point in place: a slow spell of the shared machine then costs one run
/// of several points, which the medians absorb, instead of every run of one point.
/// </summary>
internal static class FanoutBenchmark
{
    /// <summary>A point ends when every message arrived or none arrived for this long.</summary>
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromSeconds(5);

    public static async Task<FanoutResults> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        await using var cluster = await RedisClusterProcess.StartAsync(3, cancellationToken);
        await using var nodes = await ClusterNodes.ConnectAsync(
            cluster.Nodes.Select(node => node.Port).ToArray(), cancellationToken);
        await using var publisher = await InvalidationPublisher.ConnectAsync(cluster.Configuration);
        var version = await nodes.RedisVersionAsync(cancellationToken);
        Console.WriteLine($"Redis cluster {cluster.Configuration} (redis-server {version}, 3 masters, no replicas)");

        var layout = new FanoutLayout("fo", options.Namespaces);
        var perNode = new int[nodes.Ports.Count];
        foreach (var channel in layout.ShardChannels)
        {
            perNode[nodes.Ports.ToList().IndexOf(await nodes.OwnerAsync(channel, cancellationToken))]++;
        }

        // Not recorded: JIT-compiles the subscribers' read path and the publisher's calls, and loads both Lua
        // steps into every node's script cache, so the first measured point pays none of it.
        Console.WriteLine("Warm-up (not recorded) ...");
        foreach (var scheme in new[] { FanoutScheme.Classic, FanoutScheme.ShardedSubset })
        {
            _ = await RunPointAsync(nodes, publisher, scheme, 10, options with { DurationSeconds = 1 },
                $"fo-warm-{scheme.Sharded}", cancellationToken);
        }

        var points = new List<FanoutPoint>();
        foreach (var (round, instances) in Enumerable.Range(1, options.Rounds)
                     .SelectMany(round => options.Instances.Select(instances => (round, instances))))
        {
            foreach (var scheme in FanoutScheme.All)
            {
                var prefix = string.Create(CultureInfo.InvariantCulture, $"fo{points.Count}");
                var point = await RunPointAsync(nodes, publisher, scheme, instances, options, prefix,
                    cancellationToken);
                points.Add(point);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round} {scheme.Name,-24} N={instances,5}: {point.Connections,5} conns,"
                    + $" {point.PublishedPerSecond,5:N0}"
                    + $" pub/s, {point.DeliveredPerSecond,9:N0} deliv/s, p50 {point.DelayMilliseconds(50):F2} ms,"
                    + $" p99 {point.DelayMilliseconds(99):F2} ms, max {point.MaxDelayMilliseconds:F1} ms,"
                    + $" lost {point.Lost}, gaps {point.Gaps}; load {MachineInfo.LoadAverage()}"));
            }
        }

        return new FanoutResults(points, options.Rounds, version, perNode);
    }

    private static async Task<FanoutPoint> RunPointAsync(ClusterNodes nodes, InvalidationPublisher publisher,
        FanoutScheme scheme, int instances, BenchOptions options, string prefix, CancellationToken cancellationToken)
    {
        var layout = new FanoutLayout(prefix, options.Namespaces);
        using var recorder = new DeliveryRecorder();
        await using var fleet = await SubscriberFleet.StartAsync(nodes, layout, scheme, instances, options.Follow,
            recorder, cancellationToken);

        var before = await nodes.SampleAsync(cancellationToken);
        var benchBefore = ProcessStats.CpuTime(Environment.ProcessId);
        var wall = Stopwatch.StartNew();
        var run = await publisher.RunAsync(layout, scheme.Sharded, options.Rate, options.Duration, cancellationToken);
        await fleet.WaitForDrainAsync(run.PerNamespace, DrainQuiet, cancellationToken);
        var seconds = wall.Elapsed.TotalSeconds;
        var after = await nodes.SampleAsync(cancellationToken);
        var benchAfter = ProcessStats.CpuTime(Environment.ProcessId);
        var (connections, subscriptions, delivered, lastReceive, problem) =
            (fleet.Connections, fleet.Subscriptions, fleet.Delivered, fleet.LastReceive, fleet.Problem);
        var (expected, lost, gaps) = (fleet.Expected(run.PerNamespace), fleet.Lost(run.PerNamespace), fleet.Gaps);
        var reads = fleet.Reads;

        // Closed before the histograms are merged, so no late message is recorded while they are read.
        await fleet.DisposeAsync();
        return new FanoutPoint(
            scheme,
            instances,
            connections,
            subscriptions,
            options.Rate,
            run,
            expected,
            delivered,
            lost,
            gaps,
            reads,
            recorder.MergeAll(),
            recorder.MergeSameNode(),
            recorder.MergeViaBus(),
            lastReceive,
            before.Zip(after, (b, a) => (a.CpuSeconds - b.CpuSeconds) / seconds).ToArray(),
            benchBefore is { } b0 && benchAfter is { } b1 ? (b1 - b0).TotalSeconds / seconds : double.NaN,
            before.Zip(after, (b, a) => a.BusPublishSent - b.BusPublishSent).Sum() / seconds,
            problem ?? run.FirstError);
    }
}
