using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// <c>changestream</c>: how long after another service's write to MongoDB the sidecar stops serving
/// the old value, at 100 and 1,000 external writes/s — measured from outside (sampled writes, the key
/// polled until the new value is served) and as the sidecar's watcher measures it (its lag histogram),
/// next to the plain round trips the lag is made of. Writes <c>## Change-stream lag</c>.
/// </summary>
internal static class ChangeStreamCommand
{
    /// <summary>Exit code when the report was written but something could not be measured or had errors.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    /// <summary>
    /// Sampled writes per second at every rate (every 5th at 100/s, every 50th at 1,000/s): enough for
    /// a p99 over a 10 s run, few enough that the back-to-back polls stay a small share of the machine.
    /// </summary>
    public const int SamplesPerSecond = 20;

    /// <summary>External write rates (writes/s), open loop.</summary>
    public static readonly IReadOnlyList<int> Rates = [100, 1_000];

    /// <summary>
    /// Longer than the Prometheus exporter's response cache (300 ms), so two scrapes this far apart are
    /// both fresh.
    /// </summary>
    private static readonly TimeSpan ScrapeSpacing = TimeSpan.FromMilliseconds(600);

    /// <summary>A watcher still applying changes this long after the writer stopped is not drained.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"changestream: {string.Join(" and ", Rates.Select(r => $"{r:N0}"))} external writes/s, "
            + $"{options.DurationSeconds} s each; {options.Keys:N0} keys; sidecar {RepositoryPaths.SidecarAssembly}");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; "
            + $"MongoDB wire test server {servers.MongoConnectionString}");

        ChangeStreamResults results;
        await using (var sidecar = await StartSidecarAsync(servers, cancellationToken))
        {
            Console.WriteLine($"Sidecar pid {sidecar.Pid}: gRPC {sidecar.Address}, health {sidecar.HealthAddress}.");
            using var rig = await ChangeStreamRig.PrepareAsync(servers, sidecar, options.Keys, cancellationToken);
            var writer = new ExternalWriter(rig.Watched, rig.Keys);
            Console.WriteLine($"Watcher following the stream {rig.WatcherReadyAfter.TotalMilliseconds:N0} ms after "
                + $"serving; {rig.Keys.Length:N0} keys cached, {writer.PoolSize:N0} of them reserved for samples.");
            await WaitUntilDrainedAsync(sidecar, cancellationToken); // the prefill's own changes

            Console.WriteLine("Baselines (one caller, one call at a time):");
            var baselines = await BaselineBenchmark.RunAsync(rig, cancellationToken);

            Console.WriteLine("External writes, open loop:");
            var rates = new List<LagRateResult>();
            foreach (var rate in Rates)
            {
                rates.Add(await RunRateAsync(sidecar, rig, writer, rate, options, cancellationToken));
            }

            sidecar.ThrowIfExited();
            results = new ChangeStreamResults(
                options.Keys, writer.PoolSize, rig.WatcherReadyAfter, baselines, rates, WatcherLog(sidecar),
                servers.RedisVersion);
        }

        var report = ChangeStreamReport.Render(options, machine, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(ChangeStreamReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, ChangeStreamReport.Heading, report);
        Console.WriteLine($"Wrote the '{ChangeStreamReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var problems = ChangeStreamReport.Incomplete(results).ToList();
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return problems.Count == 0 ? 0 : Incomplete;
    }

    private static async Task<SidecarProcess> StartSidecarAsync(
        BackingServers servers, CancellationToken cancellationToken)
    {
        var environment = BenchNamespaces.Backends(servers)
            .WithCacheAside(BenchNamespaces.ChangeStreamLag)
            .WithChangeStream(BenchNamespaces.ChangeStreamLag)
            .WithCacheAside(BenchNamespaces.ChangeStreamBaseline);
        try
        {
            return await BenchSidecar.StartAsync("changestream", environment, cancellationToken);
        }
        catch (SidecarExitedException ex)
        {
            // Nothing can be measured without the watcher (e.g. a build without change-stream invalidation).
            throw new BenchFailedException($"the sidecar refused to start:\n{ex.Output}", ex);
        }
    }

    private static async Task<LagRateResult> RunRateAsync(
        SidecarProcess sidecar, ChangeStreamRig rig, ExternalWriter writer, int rate, BenchOptions options,
        CancellationToken cancellationToken)
    {
        Console.Write($"  {rate,5:N0} writes/s: warm-up ... ");
        var warmUp = await OpenLoopLoad.RunAsync(
            $"warm-up, {rate:N0}/s", rate, TimeSpan.Zero, BenchOptions.WarmUp, writer.Unsampled(), cancellationToken);
        if (warmUp.FirstProblem is not null)
        {
            Console.Write($"(!! {warmUp.Errors:N0} errors; first: {warmUp.FirstProblem}) ");
        }

        var (before, _) = await WaitUntilDrainedAsync(sidecar, cancellationToken);

        Console.Write("measuring ... ");
        var sampleEvery = Math.Max(1, rate / SamplesPerSecond);
        var probes = new LagProbes(rig.Cache, cancellationToken);
        var writes = await OpenLoopLoad.RunAsync(
            $"external UpdateOne, {rate:N0}/s", rate, TimeSpan.Zero, options.Duration,
            writer.Sampled(probes, sampleEvery), cancellationToken);
        await probes.CompleteAsync();
        var (after, drainedAfter) = await WaitUntilDrainedAsync(sidecar, cancellationToken);
        sidecar.ThrowIfExited();

        var result = new LagRateResult(
            rate, sampleEvery, writes, probes, after.Minus(before), drainedAfter, MachineInfo.LoadAverage());
        Console.WriteLine(Describe(result));
        return result;
    }

    /// <summary>
    /// Scrapes until the watcher's counters stop moving (two fresh scrapes agree): every change made so
    /// far has been applied. Returns that scrape and when it was first seen, or the last scrape and null
    /// when the watcher was still busy after <see cref="DrainTimeout"/>.
    /// </summary>
    private static async Task<(WatcherSnapshot Snapshot, TimeSpan? DrainedAfter)> WaitUntilDrainedAsync(
        SidecarProcess sidecar, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = await ScrapeAsync(sidecar, cancellationToken);
        var lastSeenAt = clock.Elapsed;
        while (clock.Elapsed < DrainTimeout)
        {
            await Task.Delay(ScrapeSpacing, cancellationToken);
            var now = await ScrapeAsync(sidecar, cancellationToken);
            if (now.LagCount == last.LagCount && now.Changes == last.Changes)
            {
                return (now, lastSeenAt);
            }

            last = now;
            lastSeenAt = clock.Elapsed;
        }

        return (last, null);
    }

    private static async Task<WatcherSnapshot> ScrapeAsync(
        SidecarProcess sidecar, CancellationToken cancellationToken) =>
        WatcherSnapshot.Read(await sidecar.ScrapeMetricsAsync(cancellationToken), BenchNamespaces.ChangeStreamLag);

    /// <summary>The sidecar's log lines about the watcher (the launcher keeps its last 200 lines).</summary>
    private static List<string> WatcherLog(SidecarProcess sidecar) =>
        sidecar.Output.Split('\n')
            .Where(line => line.Contains($"Change stream {BenchNamespaces.ChangeStreamLag}", StringComparison.Ordinal))
            .Select(line => line.Trim())
            .ToList();

    private static string Describe(LagRateResult result)
    {
        var probes = result.Probes;
        static string Micros(HdrHistogram.LongHistogram ticks, double percentile) => ticks.TotalCount == 0
            ? "–"
            : $"{ticks.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency:N0}";
        return $"achieved {result.Writes.AchievedRate:N0}/s, {result.Writes.Measured:N0} writes; "
            + $"{probes.Seen:N0} sampled: end-to-end p50 {Micros(probes.Lags, 50)} µs, "
            + $"p99 {Micros(probes.Lags, 99)} µs, max {Micros(probes.Lags, 100)} µs "
            + $"(last Get p50 {Micros(probes.FinalGets, 50)} µs), {probes.OldReads:N0} old reads; "
            + $"watcher: {result.Watcher.LagCount:N0} lags, "
            + $"p50 ≤ {result.Watcher.PercentileUpperBound(50) * 1000:0.#} ms, "
            + $"p99 ≤ {result.Watcher.PercentileUpperBound(99) * 1000:0.#} ms; load {result.LoadAverage}"
            + (result.Writes.FirstProblem is null ? "" : $"  !! writes: {result.Writes.FirstProblem}")
            + (probes.FirstProblem is null ? "" : $"  !! polls: {probes.FirstProblem}");
    }
}
