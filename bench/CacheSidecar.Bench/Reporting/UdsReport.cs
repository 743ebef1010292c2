using System.Text;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Uds;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Unix domain socket vs TCP</c> section (also printed to stdout) of one uds run.</summary>
internal static class UdsReport
{
    public const string Heading = "## Unix domain socket vs TCP";

    private static readonly double[] SaturationPercentiles = [50, 90, 99];

    /// <summary>The percentiles whose UDS − TCP difference at the fixed rate is reported.</summary>
    private static readonly double[] DifferencePercentiles = [50, 90, 99];

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd, UdsResults results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        RenderContext(md, options, machine, redisVersion, loadAverageAtEnd, "uds",
            Inv($"the prefill writes the {UdsCalls.GetKeyCount:N0} Get-hit keys to it once; no measured call reaches it (every Get is a cache hit, ListNamespaces touches no backend)."));
        RenderMethod(md, options, results);
        RenderSaturation(md, options, results);
        RenderFixedRate(md, options, results);
        RenderComparison(md, results);
        RenderProblems(md, results);
        return md.ToString();
    }

    private static void RenderMethod(StringBuilder md, BenchOptions options, UdsResults results)
    {
        md.AppendLine(Inv($"One sidecar process listening on both transports: its TCP gRPC endpoint on 127.0.0.1 (h2c) and a Unix domain socket in a fresh temporary directory (`Kestrel__Endpoints__GrpcUnix__Url=http://unix:/…/grpc.sock`, `…__Protocols=Http2`; the directory is deleted at the end). The bench process holds one `GrpcChannel` per transport: TCP built as every other command builds it (`GrpcChannel.ForAddress(http://127.0.0.1:<port>)`), the socket as the SDK builds it for a `unix:` address (`UnixSocketAddress.Handler`: a `SocketsHttpHandler` whose `ConnectCallback` opens the socket). Both carry the same prebuilt requests, so a TCP row and its UDS row differ in the transport only (and in that handler: with its own handler the gRPC client goes through its subchannel layer, with a `ConnectCallback` it uses the handler directly)."));
        md.AppendLine();
        md.AppendLine(Inv($"After one unrecorded pass over every row (both processes are fresh), the rows ran {results.Rounds} times, in rounds: every row once per round, each TCP row and its UDS row back to back, **TCP first in odd rounds and UDS first in even ones**. **Every figure is the median of that column over the {results.Rounds} runs**, with the lowest and highest of the headline number beside it; errors are summed over the runs. Latency seen by the caller, in µs (HdrHistogram). CPU per call is read from `/proc/<pid>/stat` around each run (10 ms resolution), warm-up calls included: \"sidecar\" is the sidecar process, \"bench\" this process (load generator and gRPC client; the MongoDB test server in it is idle)."));
        md.AppendLine();
        md.AppendLine(Inv($"- Get hit: `{BenchNamespaces.GetHit}` (CacheAside, entry TTL 1 h), {UdsCalls.GetKeyCount:N0} keys of the 1 KB JSON value, written and read once beforehand over TCP; every answer must be `found`, `source = CACHE`, 1,024 bytes. ListNamespaces: answered from the sidecar's memory, no backend work (the transport and gRPC alone); every answer must list at least one namespace."));
        md.AppendLine(Inv($"- Saturation: {options.Concurrency} callers, each sending its next call when the previous one returns, over the one channel ({options.Concurrency} streams on one HTTP/2 connection); {BenchOptions.WarmUp.TotalSeconds:0} s warm-up and {options.DurationSeconds} s measured per run."));
        md.AppendLine(Inv($"- Fixed rate: {UdsBenchmark.Rate:N0} calls per second scheduled open loop (call i due at start + i ms, sent when due whatever is still in flight, latency from the **intended** send time: no coordinated omission); {UdsBenchmark.RateWarmUp.TotalSeconds:0} s warm-up and {options.RateDurationSeconds} s measured per run."));
        md.AppendLine();
    }

    private static void RenderSaturation(StringBuilder md, BenchOptions options, UdsResults results)
    {
        md.AppendLine(Inv($"### Saturation, closed loop, {options.Concurrency} callers"));
        md.AppendLine();
        md.AppendLine(Inv($"| call | transport | ops/s (min–max of {results.Rounds}) | p50 µs | p90 µs | p99 µs | sidecar CPU µs/call | bench CPU µs/call | errors |"));
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.Saturation)
        {
            var percentiles = string.Join(" | ", SaturationPercentiles.Select(p => Micros(row.PercentileMicroseconds(p))));
            md.AppendLine(Inv($"| {row.Scenario.Call} | {row.Scenario.TransportLabel} | {row.OpsPerSecond:N0} ({row.MinOpsPerSecond:N0}–{row.MaxOpsPerSecond:N0}) | {percentiles} | {Cpu(row.SidecarCpuMicrosecondsPerCall)} | {Cpu(row.BenchCpuMicrosecondsPerCall)} | {row.Errors:N0} |"));
        }

        md.AppendLine();
    }

    private static void RenderFixedRate(StringBuilder md, BenchOptions options, UdsResults results)
    {
        md.AppendLine(Inv($"### Latency at {UdsBenchmark.Rate:N0} req/s, open loop"));
        md.AppendLine();
        md.AppendLine(Inv($"| call | transport | achieved/s | p50 µs (min–max of {results.Rounds}) | p90 µs | p99 µs (min–max of {results.Rounds}) | p99.9 µs | sidecar CPU, cores | bench CPU, cores | errors |"));
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.FixedRate)
        {
            md.AppendLine(Inv($"| {row.Scenario.Call} | {row.Scenario.TransportLabel} | {row.OpsPerSecond:N0}{(row.KeptUp ? "" : " ✗")} | {WithRange(row, 50)} | {Micros(row.PercentileMicroseconds(90))} | {WithRange(row, 99)} | {Micros(row.PercentileMicroseconds(99.9))} | {Cores(row.SidecarCores)} | {Cores(row.BenchCores)} | {row.Errors:N0} |"));
        }

        md.AppendLine();
        // p99.9 of n calls is the (n / 1000)-th slowest.
        var tail = options.RateDurationSeconds * UdsBenchmark.Rate / 1000;
        md.AppendLine(Inv($"p99.9 of one run rests on its {(tail == 1 ? "slowest call" : Inv($"{tail:N0} slowest calls"))}: read it as the tail's order of magnitude, not as a difference between the transports. CPU is given in cores (CPU time over wall-clock time, warm-up included) rather than per call: at a fixed rate it is not proportional to the calls (at saturation a Get hit costs the sidecar the µs/call of the table above)."));
        md.AppendLine();
    }

    private static void RenderComparison(StringBuilder md, UdsResults results)
    {
        md.AppendLine("### UDS against TCP");
        md.AppendLine();
        foreach (var call in new[] { UdsScenario.GetHit, UdsScenario.ListNamespaces })
        {
            var tcp = results.Find(call, UdsTransport.Tcp, fixedRate: false);
            var unix = results.Find(call, UdsTransport.UnixSocket, fixedRate: false);
            if (tcp is null || unix is null)
            {
                md.AppendLine(Inv($"- Saturation ops/s, {call}, UDS / TCP: not measured."));
                continue;
            }

            var perRound = PerRound(results, tcp, unix, (t, u) => Inv($"{u.OpsPerSecond / t.OpsPerSecond:F2}×"));
            md.AppendLine(Inv($"- Saturation ops/s, {call}, UDS / TCP = {unix.OpsPerSecond:N0} / {tcp.OpsPerSecond:N0} = **{unix.OpsPerSecond / tcp.OpsPerSecond:F2}×** (same-round pairs: {perRound}); sidecar CPU per call {Cpu(unix.SidecarCpuMicrosecondsPerCall)} vs {Cpu(tcp.SidecarCpuMicrosecondsPerCall)} µs, bench CPU per call {Cpu(unix.BenchCpuMicrosecondsPerCall)} vs {Cpu(tcp.BenchCpuMicrosecondsPerCall)} µs."));
        }

        var tcpRate = results.Find(UdsScenario.GetHit, UdsTransport.Tcp, fixedRate: true);
        var unixRate = results.Find(UdsScenario.GetHit, UdsTransport.UnixSocket, fixedRate: true);
        if (tcpRate is null || unixRate is null)
        {
            md.AppendLine(Inv($"- Get hit at {UdsBenchmark.Rate:N0} req/s, UDS − TCP: not measured."));
        }
        else
        {
            md.AppendLine(Inv($"- Get hit at {UdsBenchmark.Rate:N0} req/s, latency UDS − TCP (of the medians; negative: UDS faster):"));
            foreach (var p in DifferencePercentiles)
            {
                var difference = unixRate.PercentileMicroseconds(p) - tcpRate.PercentileMicroseconds(p);
                var perRound = PerRound(results, tcpRate, unixRate, (t, u) => Signed(u.PercentileMicroseconds(p) - t.PercentileMicroseconds(p)));
                md.AppendLine(Inv($"  - p{p:0}: **{Signed(difference)} µs** ({Micros(unixRate.PercentileMicroseconds(p))} vs {Micros(tcpRate.PercentileMicroseconds(p))}; same-round pairs: {perRound} µs)"));
            }

            md.AppendLine(Inv($"  - CPU at this rate, UDS vs TCP: sidecar {Cores(unixRate.SidecarCores)} vs {Cores(tcpRate.SidecarCores)} cores, bench {Cores(unixRate.BenchCores)} vs {Cores(tcpRate.BenchCores)} cores."));
        }

        md.AppendLine();
        md.AppendLine("The same-round pairs show whether a difference holds in every round or only in the median: a sign that flips between rounds is within this machine's noise. On these 2 shared cores the closed-loop rows are bound by CPU (sidecar, redis-server, load generator and client all compete for it), so the saturation ratio measures what the socket saves in CPU per call on both ends rather than a shorter wire.");
        md.AppendLine();
    }

    private static void RenderProblems(StringBuilder md, UdsResults results)
    {
        var problems = results.Problems().ToList();
        if (problems.Count == 0)
        {
            return;
        }

        md.AppendLine("**Incomplete run** (exit code 3). First problem of each row (`errors` counts failed calls plus unexpected answers, e.g. a Get that was not a cache hit; ✗: did not keep up with the offered rate):");
        md.AppendLine();
        foreach (var problem in problems)
        {
            md.AppendLine(Inv($"- {problem}"));
        }

        md.AppendLine();
    }

    /// <summary>The UDS run against the TCP run of the same round, for every round both ran in.</summary>
    private static string PerRound(UdsResults results, UdsRow tcp, UdsRow unix, Func<UdsRun, UdsRun, string> format)
    {
        var pairs = Enumerable.Range(1, results.Rounds)
            .Select(round => (Tcp: tcp.InRound(round), Unix: unix.InRound(round)))
            .Where(pair => pair.Tcp is not null && pair.Unix is not null)
            .Select(pair => format(pair.Tcp!, pair.Unix!))
            .ToList();
        return pairs.Count == 0 ? "–" : string.Join(", ", pairs);
    }

    private static string WithRange(UdsRow row, double percentile) =>
        Inv($"{Micros(row.PercentileMicroseconds(percentile))} ({Micros(row.MinPercentileMicroseconds(percentile))}–{Micros(row.MaxPercentileMicroseconds(percentile))})");

    /// <summary>µs with a sign either way (U+2212 for minus), so a difference reads as one.</summary>
    private static string Signed(double value) => double.IsNaN(value) ? "–" : Inv($"{value:+#,0;−#,0;0}");

    private static string Cpu(double microseconds) => double.IsNaN(microseconds) ? "–" : Inv($"{microseconds:F1}");

    private static string Cores(double cores) => double.IsNaN(cores) ? "–" : Inv($"{cores:F2}");
}
