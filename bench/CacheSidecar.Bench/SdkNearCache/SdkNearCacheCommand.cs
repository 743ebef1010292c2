using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// <c>sdknear</c>: the C# SDK's in-process near cache in one run, side by side in one process — hot-key reads
/// against a direct StackExchange.Redis GET and the sidecar Get (part 1), the delay from a write through another
/// sidecar to the near cache dropping the key (part 2), and both against DESIGN §9. Writes
/// <c>## SDK near cache</c>.
/// </summary>
internal static class SdkNearCacheCommand
{
    public static async Task<int> RunAsync(SdkNearOptions options, CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine($"sdknear: {SdkNearOptions.Rounds} rounds of {ReadScenario.RowCount} rows at "
            + $"{string.Join('/', options.Concurrencies)} callers, {options.DurationSeconds} s each; "
            + $"{options.Invalidations} writes per invalidation phase; sidecar {RepositoryPaths.SidecarAssembly}");
        Console.WriteLine($"About {Estimate(options).TotalMinutes:F0} min.");
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        var minWorkerThreads = RaiseThreadPoolMinimum(options.Concurrencies[^1]);
        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; "
            + $"MongoDB wire test server {servers.MongoConnectionString}");

        // Listening before the SDK creates its instruments, so the first SYNCED's clear is counted too.
        using var probe = new InvalidationProbe(SdkNearRig.Namespace);
        SdkNearResults results;
        await using (var rig = await SdkNearRig.StartAsync(servers, cancellationToken))
        {
            Console.WriteLine($"Sidecar A pid {rig.A.Pid} ({rig.A.Address}), B pid {rig.B.Pid} ({rig.B.Address}); "
                + "the near cache serves.");
            var calls = await SdkNearCalls.PrepareAsync(rig, servers, cancellationToken);
            var sdkAtStart = probe.ClearsByReason;
            var sidecarAtStart = await SidecarClearsAsync(rig, cancellationToken);
            var reads = new ReadRounds(servers, rig, calls, options);
            Console.WriteLine("Warm-up pass (not recorded) ...");
            await reads.WarmUpAsync(cancellationToken);
            for (var round = 1; round <= SdkNearOptions.Rounds; round++)
            {
                await reads.RunAsync(round, cancellationToken);
            }

            var sdkAfterReads = probe.ClearsByReason;
            var sidecarAfterReads = await SidecarClearsAsync(rig, cancellationToken);
            Console.WriteLine("Invalidation delay:");
            var invalidations = new InvalidationRounds(rig, probe, options);
            await invalidations.PrepareAsync(cancellationToken);
            var keysBefore = probe.InvalidatedKeyCount;
            var quiet = await invalidations.RunAsync(hotReader: false, cancellationToken);
            var hot = await invalidations.RunAsync(hotReader: true, cancellationToken);
            // Read before the rig goes: stopping the applications clears their near caches too.
            var keysEvents = probe.InvalidatedKeyCount - keysBefore;
            var sdkAtEnd = probe.ClearsByReason;
            var clears = new ClearCounts(
                sdkAtStart,
                ClearCounts.Since(sdkAtStart, sdkAfterReads),
                ClearCounts.Since(sdkAfterReads, sdkAtEnd),
                ClearCounts.Since(sidecarAtStart, sidecarAfterReads),
                ClearCounts.Since(sidecarAfterReads, await SidecarClearsAsync(rig, cancellationToken)));
            results = new SdkNearResults(reads.Results(), quiet, hot, clears, keysEvents);
        }

        var report = SdkNearReport.Render(options, machine, servers.RedisVersion, MachineInfo.LoadAverage(),
            minWorkerThreads, results);
        Console.WriteLine();
        Console.WriteLine(SdkNearReport.Heading);
        Console.WriteLine();
        Console.WriteLine(report);
        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, SdkNearReport.Heading, report);
        Console.WriteLine($"Wrote the '{SdkNearReport.Heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var problems = results.Problems().ToList();
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return problems.Count == 0 ? 0 : WriteBehindCommand.Incomplete;
    }

    /// <summary>Sidecar A's near-cache clears so far, after waiting out its exporter's response cache.</summary>
    private static async Task<Dictionary<string, long>> SidecarClearsAsync(SdkNearRig rig,
        CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return ClearCounts.OfSidecar(await rig.A.ScrapeMetricsAsync(cancellationToken), SdkNearRig.Namespace);
    }

    /// <summary>
    /// Near-cache hits complete synchronously, so a closed-loop caller never gives its pool thread back; with
    /// 16 of them the SDK's stream (heartbeats, invalidations) would wait for the pool to inject threads (about
    /// one per half second) and could be declared dead. Spare threads keep it flowing, as in a real app.
    /// </summary>
    private static int RaiseThreadPoolMinimum(int callers)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Math.Max(workers, callers + 8);
        ThreadPool.SetMinThreads(wanted, completionPorts);
        return wanted;
    }

    /// <summary>Warm-up pass, rounds (a few seconds of scrapes each run), two invalidation phases, start-up.</summary>
    private static TimeSpan Estimate(SdkNearOptions options)
    {
        const int rows = ReadScenario.RowCount;
        var run = BenchOptions.WarmUp + options.Duration + TimeSpan.FromSeconds(0.5);
        var rounds = run * rows * options.Concurrencies.Count * SdkNearOptions.Rounds;
        var invalidations = TimeSpan.FromMilliseconds(20 * 2 * options.Invalidations);
        return (BenchOptions.WarmUp * rows) + rounds + invalidations + TimeSpan.FromSeconds(20);
    }
}
