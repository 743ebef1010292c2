using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Uds;

/// <summary>
/// TCP against a Unix domain socket on ONE sidecar process listening on both, so every difference between
/// a TCP row and its UDS row is the transport (and the client's handler for it), not a process, a
/// configuration or a warm-up state: closed-loop saturation of a Get hit and of ListNamespaces, and
/// open-loop latency of a Get hit at a fixed rate, each row <see cref="BenchOptions.UdsRepetitions"/> times.
/// </summary>
internal static class UdsBenchmark
{
    /// <summary>The fixed rate: the fastpath command's (Dapr's) 1,000 req/s, so the TCP row reads against that table.</summary>
    public const int Rate = 1_000;

    /// <summary>Warm-up of each open-loop run, as in fastpath's 1,000 req/s rows.</summary>
    public static readonly TimeSpan RateWarmUp = TimeSpan.FromSeconds(2);

    public static async Task<UdsResults> RunAsync(BackingServers servers, BenchOptions options, CancellationToken cancellationToken)
    {
        // Declared first, disposed last: the directory (and the socket in it) goes only after the sidecar is killed.
        using var socket = UdsSocketDirectory.Create();
        var environment = BenchNamespaces.Backends(servers)
            .WithCacheAside(BenchNamespaces.GetHit)
            .WithGrpcUnixSocket(socket.SocketPath);
        await using var sidecar = await BenchSidecar.StartAsync("uds", environment, cancellationToken);
        socket.ThrowIfNotListening(sidecar);
        Console.WriteLine($"Sidecar pid {sidecar.Pid}: gRPC over TCP {sidecar.Address} and over unix:{socket.SocketPath}.");

        using var calls = UdsCalls.Open(sidecar.Address, socket.Address);
        Console.WriteLine("Prefill (Get-hit keys, over TCP) and one probe call per transport ...");
        await Prefill.GetHitKeysAsync(calls.Tcp, BenchNamespaces.GetHit, UdsCalls.GetKeys, options.Concurrency, cancellationToken);
        await calls.ProbeAsync(UdsTransport.Tcp, cancellationToken);
        await calls.ProbeAsync(UdsTransport.UnixSocket, cancellationToken);

        var pairs = Pairs(calls);
        var scenarios = pairs.SelectMany(p => new[] { p.Tcp, p.Unix }).ToList();
        var runs = scenarios.ToDictionary(s => s, _ => new List<UdsRun>());
        var meter = new ScenarioMeter(servers, sidecar, options.Concurrency, options.Duration);

        var closedRows = pairs.Count(p => !p.Tcp.FixedRate) * 2;
        var rateRows = pairs.Count(p => p.Tcp.FixedRate) * 2;
        var warmUpPass = (BenchOptions.WarmUp * closedRows) + (RateWarmUp * rateRows);
        var round = ((BenchOptions.WarmUp + options.Duration) * closedRows) + ((RateWarmUp + options.RateDuration) * rateRows);
        Console.WriteLine($"{options.Concurrency} callers closed loop, {Rate:N0} req/s open loop; warm-up pass, then {BenchOptions.UdsRepetitions} rounds: about {(warmUpPass + (round * BenchOptions.UdsRepetitions)).TotalMinutes:F1} min.");

        // Both processes are fresh: without one unrecorded pass over every row (each transport's
        // connection, its code paths and the pacer) the first round's runs would be the slowest.
        Console.WriteLine("Warm-up pass (not recorded):");
        foreach (var scenario in scenarios)
        {
            Console.WriteLine($"  {scenario.Name}");
            if (scenario.FixedRate)
            {
                _ = await OpenLoopLoad.RunAsync(scenario.Name, Rate, RateWarmUp, TimeSpan.Zero, scenario.Operation, cancellationToken);
            }
            else
            {
                _ = await ClosedLoopLoad.RunAsync(scenario.Name, options.Concurrency, BenchOptions.WarmUp, TimeSpan.Zero, scenario.Operation, cancellationToken);
            }

            sidecar.ThrowIfExited();
        }

        // Round by round rather than row by row: a slow spell on the shared machine then costs one run of
        // several rows (which the median absorbs) instead of every run of one row. Within a round each TCP
        // row and its UDS row run back to back, the one going first alternating by round, so neither
        // transport always runs right after the other's load (or always first after a different call).
        for (var r = 1; r <= BenchOptions.UdsRepetitions; r++)
        {
            var unixFirst = r % 2 == 0;
            Console.WriteLine($"Round {r} of {BenchOptions.UdsRepetitions} ({(unixFirst ? "UDS" : "TCP")} first in each pair):");
            foreach (var (tcp, unix) in pairs)
            {
                foreach (var scenario in unixFirst ? new[] { unix, tcp } : [tcp, unix])
                {
                    var run = scenario.FixedRate
                        ? await MeasureRateAsync(sidecar, scenario, r, options, cancellationToken)
                        : await MeasureSaturationAsync(meter, scenario, r, cancellationToken);
                    runs[scenario].Add(run);
                }
            }
        }

        return new UdsResults(scenarios.Select(s => new UdsRow(s, runs[s])).ToList(), BenchOptions.UdsRepetitions);
    }

    /// <summary>The rows, TCP and UDS of each call side by side, in report order.</summary>
    private static List<(UdsScenario Tcp, UdsScenario Unix)> Pairs(UdsCalls calls)
    {
        (UdsScenario, UdsScenario) Pair(string call, bool fixedRate, Func<UdsTransport, Operation> operation) =>
            (new UdsScenario(call, UdsTransport.Tcp, fixedRate, operation(UdsTransport.Tcp)),
             new UdsScenario(call, UdsTransport.UnixSocket, fixedRate, operation(UdsTransport.UnixSocket)));

        return
        [
            Pair(UdsScenario.GetHit, fixedRate: false, calls.GetHit),
            Pair(UdsScenario.ListNamespaces, fixedRate: false, calls.ListNamespaces),
            Pair(UdsScenario.GetHit, fixedRate: true, calls.GetHit),
        ];
    }

    private static async Task<UdsRun> MeasureSaturationAsync(ScenarioMeter meter, UdsScenario scenario, int round, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var result = await meter.MeasureAsync(scenario.Name, scenario.Operation, cancellationToken);
        var wall = clock.Elapsed;
        var calls = Math.Max(1, result.Load.CompletedIncludingWarmUp);
        return new UdsRun(round, result.Load, null, result.SidecarCpuPerCall, result.BenchCpuPerCall,
            Cores(result.SidecarCpuPerCall * calls, wall), Cores(result.BenchCpuPerCall * calls, wall));
    }

    private static async Task<UdsRun> MeasureRateAsync(
        SidecarProcess sidecar, UdsScenario scenario, int round, BenchOptions options, CancellationToken cancellationToken)
    {
        Console.Write($"  {scenario.Name} ... ");
        var sidecarBefore = ProcessStats.CpuTime(sidecar.Pid);
        var benchBefore = ProcessStats.CpuTime(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        var result = await OpenLoopLoad.RunAsync(scenario.Name, Rate, RateWarmUp, options.RateDuration, scenario.Operation, cancellationToken);
        var wall = clock.Elapsed;
        var sidecarAfter = ProcessStats.CpuTime(sidecar.Pid);
        var benchAfter = ProcessStats.CpuTime(Environment.ProcessId);
        sidecar.ThrowIfExited();

        // Every scheduled call, warm-up included, as the CPU was read around the whole run.
        var calls = Math.Max(1, (long)((RateWarmUp + options.RateDuration).TotalSeconds * Rate));
        Console.WriteLine(
            $"achieved {result.AchievedRate:N0}/s, p50 {result.PercentileMicroseconds(50):N0} µs, p99 {result.PercentileMicroseconds(99):N0} µs, p99.9 {result.PercentileMicroseconds(99.9):N0} µs"
            + (result.KeptUp ? "" : "  (did not keep up)")
            + (result.FirstProblem is null ? "" : $"  !! {result.Errors:N0} errors; first: {result.FirstProblem}"));
        return new UdsRun(round, null, result, Used(sidecarBefore, sidecarAfter) / calls, Used(benchBefore, benchAfter) / calls,
            Cores(Used(sidecarBefore, sidecarAfter), wall), Cores(Used(benchBefore, benchAfter), wall));
    }

    private static TimeSpan? Used(TimeSpan? before, TimeSpan? after) => before is { } b && after is { } a ? a - b : null;

    private static double? Cores(TimeSpan? cpu, TimeSpan wall) => cpu is { } c && wall > TimeSpan.Zero ? c / wall : null;
}
