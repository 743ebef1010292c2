using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// <c>fastpath</c>: the request path's numbers against DESIGN §9, all in one run against one sidecar
/// process — latency at 1,000 req/s next to a direct Redis GET (Dapr's method) with the memory at that
/// rate, closed-loop throughput next to its two ceilings, latency against offered load (PNG),
/// an h2load cross-check, and start-to-ready of fresh processes. Writes <c>## Fast path</c>.
/// </summary>
internal static class FastPathCommand
{
    /// <summary>Exit code when the report was written but something could not be measured or had errors.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    /// <summary>Warm-up of each open-loop run: 2 s at the 1,000 req/s point, 1 s per sweep step.</summary>
    private static readonly TimeSpan RateWarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SweepWarmUp = TimeSpan.FromSeconds(1);

    public const int DaprRate = 1_000;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"fastpath: {options.Concurrency} callers, {options.DurationSeconds} s per closed-loop scenario; {DaprRate:N0} req/s for {options.RateDurationSeconds} s; sweep {string.Join('/', options.SweepRates)} req/s, {options.SweepDurationSeconds} s each; sidecar {RepositoryPaths.SidecarAssembly}");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var (sidecar, configuration) = await FastPathSidecar.StartAsync(servers, options.NearCache, cancellationToken);
        RateResults rate;
        SaturationResults saturation;
        List<SweepSeries> sweep;
        H2LoadResult h2load;
        H2LoadResult? h2loadNoOp = null;
        RssStats? peak;
        string getKey;
        (int NoOp, int GetHit) replyBytes;
        await using (sidecar)
        {
            Console.WriteLine($"Sidecar pid {sidecar.Pid}: gRPC {sidecar.Address}, health {sidecar.HealthAddress}; L1 near-cache row: {(configuration.NearCache ? "on" : configuration.NearCacheSkipped)}.");
            await using var rss = new RssSampler(sidecar.Pid);
            using var calls = await FastPathCalls.PrepareAsync(sidecar, servers, configuration, options.HotKeys, options.Concurrency, cancellationToken);
            getKey = calls.GetKeys[0];
            replyBytes = calls.ReplyBytes;

            // Idle: started, connections open, keys in place, no traffic for 2 s.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var idleFrom = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var rssIdle = rss.Between(idleFrom, Stopwatch.GetTimestamp());

            Console.WriteLine($"{DaprRate:N0} req/s, open loop (Dapr's method):");
            rate = await RunRateAsync(sidecar, calls, configuration, rss, rssIdle, options, cancellationToken);

            Console.WriteLine("Throughput, closed loop:");
            saturation = await RunSaturationAsync(servers, sidecar, calls, configuration, options, cancellationToken);

            Console.WriteLine("Latency against offered load, open loop:");
            sweep = await RunSweepAsync(calls, configuration, options, cancellationToken);

            Console.WriteLine("h2load cross-check of the Get hit:");
            h2load = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.GetHit(calls), options.Concurrency, BenchOptions.WarmUp, options.Duration, cancellationToken);
            Console.WriteLine(h2load.NotMeasured is null
                ? $"  Get: {h2load.RequestsPerSecond:N0} req/s, {h2load.Succeeded:N0} succeeded, {h2load.Failed:N0} failed; server counted {h2load.ServerOkCalls:N0} OK, {h2load.ServerCancelledCalls:N0} cancelled, {h2load.ServerOtherCalls:N0} other, {h2load.ServerCacheHits:N0} cache hits"
                : $"  !! {h2load.NotMeasured}");
            if (h2load.NotMeasured is null)
            {
                // The same generator on the no-op RPC: the Get / no-op ratio without the .NET client's CPU on the shared cores.
                h2loadNoOp = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.ListNamespaces(calls), options.Concurrency, BenchOptions.WarmUp, options.Duration, cancellationToken);
                Console.WriteLine(h2loadNoOp.NotMeasured is null
                    ? $"  ListNamespaces: {h2loadNoOp.RequestsPerSecond:N0} req/s, {h2loadNoOp.Succeeded:N0} succeeded, {h2loadNoOp.Failed:N0} failed; server counted {h2loadNoOp.ServerOkCalls:N0} OK, {h2loadNoOp.ServerCancelledCalls:N0} cancelled, {h2loadNoOp.ServerOtherCalls:N0} other"
                    : $"  !! {h2loadNoOp.NotMeasured}");
            }

            sidecar.ThrowIfExited();
            peak = rss.All();
        }

        Console.WriteLine($"Start-to-ready, {options.Starts} fresh starts:");
        var starts = await StartupBenchmark.RunAsync(configuration.Environment(servers), getKey, options.Starts, cancellationToken);

        var (plotFile, plotProblem) = LatencyPlot.TryWrite(RepositoryPaths.LatencyPlot, sweep, options);
        var results = new FastPathResults(configuration, rate, saturation, sweep, plotFile, plotProblem, h2load, h2loadNoOp, starts, peak, servers.RedisVersion, replyBytes);
        var report = FastPathReport.Render(options, machine, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(FastPathReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, FastPathReport.Heading, report);
        Console.WriteLine($"Wrote the '{FastPathReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}{(plotFile is null ? "" : $" and {plotFile}")}.");

        var problems = FastPathReport.Incomplete(results).ToList();
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return problems.Count == 0 ? 0 : Incomplete;
    }

    private static async Task<RateResults> RunRateAsync(
        SidecarProcess sidecar, FastPathCalls calls, FastPathConfiguration configuration, RssSampler rss, RssStats? rssIdle, BenchOptions options, CancellationToken cancellationToken)
    {
        async Task<OpenLoopResult> Run(string name, Operation operation)
        {
            Console.Write($"  {name} ... ");
            var result = await OpenLoopLoad.RunAsync(name, DaprRate, RateWarmUp, options.RateDuration, operation, cancellationToken);
            sidecar.ThrowIfExited();
            Console.WriteLine(Describe(result));
            return result;
        }

        var direct = await Run(FastPathScenarios.DirectRedis, calls.DirectRedisGet);

        var from = Stopwatch.GetTimestamp() + (long)((RateWarmUp + options.RateDuration / 2).TotalSeconds * Stopwatch.Frequency);
        var sidecarGet = await Run(FastPathScenarios.GetHit, calls.GetHit);
        var rssSteady = rss.Between(from, Stopwatch.GetTimestamp());

        OpenLoopResult? nearCache = null;
        double? share = null;
        if (configuration.NearCache)
        {
            var before = await sidecar.ScrapeMetricsAsync(cancellationToken);
            nearCache = await Run(FastPathScenarios.NearCacheGet, calls.NearCacheGet);
            share = await NearCacheShareAsync(sidecar, before, cancellationToken);
        }

        return new RateResults(DaprRate, direct, sidecarGet, nearCache, share, rssIdle, rssSteady);
    }

    private static async Task<SaturationResults> RunSaturationAsync(
        BackingServers servers, SidecarProcess sidecar, FastPathCalls calls, FastPathConfiguration configuration, BenchOptions options, CancellationToken cancellationToken)
    {
        var meter = new ScenarioMeter(servers, sidecar, options.Concurrency, options.Duration);
        var rows = new List<SaturationRow>();
        async Task<SaturationRow> Measure(string name, Operation operation, int keysPerCall = 1)
        {
            var scenario = await meter.MeasureAsync(name, operation, cancellationToken, keysPerCall > 1 ? "keys" : null, keysPerCall);
            var row = new SaturationRow(scenario, keysPerCall);
            rows.Add(row);
            return row;
        }

        await Measure(FastPathScenarios.DirectRedis, calls.DirectRedisGet);
        await Measure(FastPathScenarios.NoOp, calls.ListNamespaces);

        // The Get hit, with the sidecar's own allocation counter read around it.
        var idleStart = await sidecar.ScrapeMetricsAsync(cancellationToken);
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var before = await sidecar.ScrapeMetricsAsync(cancellationToken);
        var idleRate = (Allocated(before) - Allocated(idleStart)) / idleClock.Elapsed.TotalSeconds;
        var clock = Stopwatch.StartNew();
        await Measure(FastPathScenarios.GetHit, calls.GetHit);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
        var after = await sidecar.ScrapeMetricsAsync(cancellationToken);
        string[] getLabels = ["rpc=\"Get\"", $"namespace=\"{BenchNamespaces.GetHit}\""];
        var getCalls = (after.Sum(FastPathMetrics.RpcCount, getLabels) ?? 0) - (before.Sum(FastPathMetrics.RpcCount, getLabels) ?? 0);
        ServerAllocation? allocation = after.Sum(FastPathMetrics.AllocatedBytes) is null
            ? null
            : new ServerAllocation(getCalls, Allocated(after) - Allocated(before), clock.Elapsed, Math.Max(0, idleRate));

        if (configuration.NearCache)
        {
            var l1Before = await sidecar.ScrapeMetricsAsync(cancellationToken);
            var row = await Measure(FastPathScenarios.NearCacheGet, calls.NearCacheGet);
            rows[^1] = row with { NearCacheShare = await NearCacheShareAsync(sidecar, l1Before, cancellationToken) };
        }

        await Measure(FastPathScenarios.BatchGet10, calls.BatchGet(10), keysPerCall: 10);
        await Measure(FastPathScenarios.BatchGet100, calls.BatchGet(100), keysPerCall: 100);
        await Measure(FastPathScenarios.PutCacheAside, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutCacheAside, queued: false));
        await Measure(FastPathScenarios.PutWriteThrough, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutWriteThrough, queued: false));
        await Measure(FastPathScenarios.PutTtl, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutTtl, queued: false));
        await Measure(FastPathScenarios.PutPureCache, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutPureCache, queued: false));
        long? backlog = null;
        if (configuration.WriteBehind)
        {
            await Measure(FastPathScenarios.PutWriteBehind, FastPathCalls.Put(calls.Cache, BenchNamespaces.PutWriteBehind, queued: true));
            backlog = await WriteBehindBacklog.ReadAsync(servers.Redis.GetDatabase(), BenchNamespaces.PutWriteBehind);
        }

        return new SaturationResults(rows, allocation, backlog);
    }

    private static async Task<List<SweepSeries>> RunSweepAsync(FastPathCalls calls, FastPathConfiguration configuration, BenchOptions options, CancellationToken cancellationToken)
    {
        var series = new List<(string Name, Operation Operation)>
        {
            (FastPathScenarios.DirectRedis, calls.DirectRedisGet),
            (FastPathScenarios.GetHit, calls.GetHit),
        };
        if (configuration.NearCache)
        {
            series.Add((FastPathScenarios.NearCacheGet, calls.NearCacheGet));
        }

        var results = new List<SweepSeries>();
        foreach (var (name, operation) in series)
        {
            Console.WriteLine($"  {name}:");
            var steps = new List<OpenLoopResult>();
            foreach (var offered in options.SweepRates)
            {
                Console.Write($"    {offered,6:N0} req/s ... ");
                var step = await OpenLoopLoad.RunAsync(name, offered, SweepWarmUp, options.SweepDuration, operation, cancellationToken);
                steps.Add(step);
                Console.WriteLine(Describe(step));
                if (!step.KeptUp)
                {
                    break; // the next, higher rates would only queue more
                }
            }

            results.Add(new SweepSeries(name, steps));
        }

        return results;
    }

    /// <summary>Share of the reads in the L1 namespace since <paramref name="before"/> that the sidecar counted as served by its near-cache.</summary>
    private static async Task<double?> NearCacheShareAsync(SidecarProcess sidecar, PrometheusText before, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
        var after = await sidecar.ScrapeMetricsAsync(cancellationToken);
        var ns = $"namespace=\"{BenchNamespaces.NearCacheGet}\"";
        double Delta(params string[] labels) => (after.Sum(FastPathMetrics.Reads, labels) ?? 0) - (before.Sum(FastPathMetrics.Reads, labels) ?? 0);
        var all = Delta(ns);
        var near = FastPathMetrics.NearCacheSources.Sum(source => Delta(ns, source));
        return all > 0 ? near / all : null;
    }

    private static double Allocated(PrometheusText metrics) => metrics.Sum(FastPathMetrics.AllocatedBytes) ?? 0;

    private static string Describe(OpenLoopResult result) =>
        $"achieved {result.AchievedRate:N0}/s, p50 {result.PercentileMicroseconds(50):N0} µs, p90 {result.PercentileMicroseconds(90):N0} µs, p99 {result.PercentileMicroseconds(99):N0} µs, send lateness p99 {result.LatenessMicroseconds(99):N0} µs"
        + (result.KeptUp ? "" : $"  (did not keep up{(result.WaitedShare > OpenLoopResult.QueueingShare ? $": {result.WaitedShare:P1} of sends found {OpenLoopLoad.MaxInFlight} in flight" : "")})")
        + (result.FirstProblem is null ? "" : $"  !! {result.Errors:N0} errors; first: {result.FirstProblem}");
}
