using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// <c>fastpath</c>: the request path's numbers against DESIGN §9, all in one run against one sidecar
/// process — latency at 1,000 req/s next to a direct Redis GET (Dapr's method) with the sources of its
/// tail and the memory at that rate, closed-loop throughput next to the serial limit (with the .NET
/// client and with h2load / redis-benchmark), latency against offered load (PNG), and start-to-ready of
/// fresh processes. Every row runs once per round, <see cref="BenchOptions.FastPathRepetitions"/> rounds,
/// after one unrecorded warm-up pass. Writes <c>## Fast path</c>.
/// </summary>
internal static class FastPathCommand
{
    /// <summary>Exit code when the report was written but something could not be measured or had errors.</summary>
    public const int Incomplete = WriteBehindCommand.Incomplete;

    public const int DaprRate = 1_000;

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"fastpath: {BenchOptions.FastPathRepetitions} rounds; {options.Concurrency} callers, {options.DurationSeconds} s per closed-loop row; {DaprRate:N0} req/s for {options.RateDurationSeconds} s; sweep {string.Join('/', options.SweepRates)} req/s, {options.SweepDurationSeconds} s each; sidecar {RepositoryPaths.SidecarAssembly}");
        Console.WriteLine($"About {Estimate(options).TotalMinutes:F0} min.");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var (sidecar, configuration) = await FastPathSidecar.StartAsync(servers, options.NearCache, cancellationToken);
        RateResults rate;
        SaturationResults saturation;
        NeutralDriverResults drivers;
        List<SweepSeries> sweep;
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

            var rateRounds = new RateRounds(sidecar, calls, configuration, rss, options);
            var saturationRounds = new SaturationRounds(servers, sidecar, calls, configuration, options);
            var driverRounds = new NeutralDriverRounds(servers, sidecar, calls, options);
            var sweepRounds = new SweepRounds(calls, configuration, options);

            // Both processes are fresh: without one unrecorded pass over every row the first round's runs
            // would be the slowest (first use of each path, tiered JIT on two busy cores), as in api and uds.
            Console.WriteLine("Warm-up pass (not recorded) ...");
            await rateRounds.WarmUpAsync(cancellationToken);
            await saturationRounds.WarmUpAsync(cancellationToken);
            await driverRounds.WarmUpAsync(cancellationToken);

            // Round by round rather than part by part: a slow spell on the shared machine then costs one
            // run of several rows, which the median absorbs, instead of every run of one row.
            for (var round = 1; round <= BenchOptions.FastPathRepetitions; round++)
            {
                Console.WriteLine($"Round {round} of {BenchOptions.FastPathRepetitions}: {DaprRate:N0} req/s, open loop (Dapr's method):");
                await rateRounds.RunAsync(round, cancellationToken);
                Console.WriteLine($"Round {round}: throughput, closed loop:");
                await saturationRounds.RunAsync(round, cancellationToken);
                Console.WriteLine($"Round {round}: C load generators:");
                await driverRounds.RunAsync(round, cancellationToken);
                Console.WriteLine($"Round {round}: latency against offered load, open loop:");
                await sweepRounds.RunAsync(cancellationToken);
                sidecar.ThrowIfExited();
            }

            rate = rateRounds.Results(rssIdle);
            saturation = saturationRounds.Results();
            drivers = driverRounds.Results();
            sweep = sweepRounds.Results();
            peak = rss.All();
        }

        Console.WriteLine($"Start-to-ready, {options.Starts} fresh starts:");
        var starts = await StartupBenchmark.RunAsync(configuration.Environment(servers), getKey, options.Starts, cancellationToken);

        var (plotFile, plotProblem) = LatencyPlot.TryWrite(RepositoryPaths.LatencyPlot, sweep, options);
        var results = new FastPathResults(configuration, BenchOptions.FastPathRepetitions, rate, saturation, drivers, sweep, plotFile, plotProblem, starts, peak, servers.RedisVersion, replyBytes);
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

    /// <summary>One line per open-loop run on stdout.</summary>
    public static string Describe(OpenLoopResult result) =>
        $"achieved {result.AchievedRate:N0}/s, p50 {result.PercentileMicroseconds(50):N0} µs, p90 {result.PercentileMicroseconds(90):N0} µs, p99 {result.PercentileMicroseconds(99):N0} µs, send lateness p99 {result.LatenessMicroseconds(99):N0} µs"
        + (result.KeptUp ? "" : $"  (did not keep up{(result.WaitedShare > OpenLoopResult.QueueingShare ? $": {result.WaitedShare:P1} of sends found {OpenLoopLoad.MaxInFlight} in flight" : "")})")
        + (result.FirstProblem is null ? "" : $"  !! {result.Errors:N0} errors; first: {result.FirstProblem}");

    /// <summary>
    /// The run's length, roughly: warm-up pass, rounds (the sweep assuming every step keeps up; 10 s a round
    /// for scrapes, process starts and the write-behind drain), start-to-ready. A busy machine takes longer.
    /// </summary>
    private static TimeSpan Estimate(BenchOptions options)
    {
        var closedRows = 11;
        var rateRows = 4;
        var warmUpPass = (RateRounds.WarmUp * rateRows) + (BenchOptions.WarmUp * closedRows) + TimeSpan.FromSeconds(6);
        var rateRound = (RateRounds.WarmUp + options.RateDuration + TimeSpan.FromSeconds(1)) * rateRows;
        var closedRound = ((BenchOptions.WarmUp + options.Duration) * (closedRows + 2)) + TimeSpan.FromSeconds(18) + options.Duration;
        var sweepRound = (SweepRounds.WarmUp + options.SweepDuration) * options.SweepRates.Count * 3;
        return warmUpPass + ((rateRound + closedRound + sweepRound) * BenchOptions.FastPathRepetitions) + TimeSpan.FromSeconds(2.5 * options.Starts) + TimeSpan.FromSeconds(30);
    }
}
