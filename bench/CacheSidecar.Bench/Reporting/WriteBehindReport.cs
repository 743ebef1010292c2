using System.Globalization;
using System.Text;
using CacheSidecar.Bench.Load;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Write-behind</c> section (also printed to stdout) from the measured results.</summary>
internal static class WriteBehindReport
{
    public const string Heading = "## Write-behind";

    /// <summary>WB Put must reach this fraction of Get-hit ops/s.</summary>
    public const double PutToGetTarget = 0.70;

    private static readonly double[] Percentiles = [50, 90, 99, 99.9];

    /// <summary>The section body (without the heading).</summary>
    public static string Render(
        BenchOptions options,
        MachineInfo machine,
        string redisVersion,
        string loadAverageAtEnd,
        ThroughputResults throughput,
        IReadOnlyList<FlushResult>? flush,
        string? flushSkipped)
    {
        var md = new StringBuilder();
        RenderContext(md, options, machine, redisVersion, loadAverageAtEnd);
        RenderThroughput(md, options, throughput);
        RenderFlush(md, options, flush, flushSkipped);
        return md.ToString();
    }

    /// <summary>The command line that reproduces this run.</summary>
    public static string Command(BenchOptions options, string configuration) => ReportText.Command(options, configuration);

    private static void RenderContext(StringBuilder md, BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd) =>
        ReportText.RenderContext(md, options, machine, redisVersion, loadAverageAtEnd, "writebehind", "store-bound numbers (flush) measure the sidecar against it.");

    private static void RenderThroughput(StringBuilder md, BenchOptions options, ThroughputResults throughput)
    {
        md.AppendLine("### Throughput (closed loop, same run)");
        md.AppendLine();
        md.AppendLine(Inv($"{options.Concurrency} concurrent callers, each sending its next call when the previous one returns, over one shared `GrpcChannel` (one HTTP/2 connection; the direct-Redis row: one `ConnectionMultiplexer`). {BenchOptions.WarmUp.TotalSeconds:0} s warm-up, then {options.DurationSeconds} s measured per scenario. 1 KB JSON values. Latency seen by the caller, in µs (HdrHistogram). Backend columns: commands each backend received per call, warm-up included (Redis: `total_commands_processed`, which also counts the `redis.call`s inside a Lua script — approximate; MongoDB: commands other than handshakes and pings)."));
        md.AppendLine();
        md.AppendLine("| scenario | ops/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | Redis cmds/call | MongoDB cmds/call |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scenario in throughput.Scenarios)
        {
            var load = scenario.Load;
            var percentiles = string.Join(" | ", Percentiles.Select(p => Micros(load.PercentileMicroseconds(p))));
            md.AppendLine(Inv($"| {load.Name} | {load.OperationsPerSecond:N0} | {percentiles} | {Micros(load.MaxMicroseconds)} | {load.Errors + load.Unexpected:N0} | {PerCall(scenario.RedisCommandsPerCall)} | {PerCall(scenario.MongoCommandsPerCall)} |"));
        }

        if (throughput.WriteBehindSkipped is not null)
        {
            md.AppendLine(Inv($"| {ThroughputBenchmark.WriteBehindPut} | not run: {throughput.WriteBehindSkipped} | | | | | | | | |"));
        }

        md.AppendLine();
        RenderRatios(md, throughput);

        var problems = throughput.Scenarios.Where(s => s.Load.FirstProblem is not null).ToList();
        if (problems.Count > 0)
        {
            md.AppendLine("Errors (first of each scenario; `errors` counts failed calls plus unexpected answers such as a Get that was not a cache hit or a Put not `queued`):");
            md.AppendLine();
            foreach (var problem in problems)
            {
                md.AppendLine(Inv($"- {problem.Load.FirstProblem}"));
            }

            md.AppendLine();
        }
    }

    private static void RenderRatios(StringBuilder md, ThroughputResults throughput)
    {
        var redis = throughput.Find(ThroughputBenchmark.DirectRedis)?.Load.OperationsPerSecond;
        var health = throughput.Find(ThroughputBenchmark.HealthCheck)?.Load.OperationsPerSecond;
        var noop = throughput.Find(ThroughputBenchmark.ListNamespaces)?.Load.OperationsPerSecond;
        var get = throughput.Find(ThroughputBenchmark.GetHit)?.Load.OperationsPerSecond;
        var put = throughput.Find(ThroughputBenchmark.WriteBehindPut)?.Load.OperationsPerSecond;

        md.AppendLine("Ratios (of ops/s):");
        md.AppendLine();
        if (get is { } g && redis is { } r && health is { } h)
        {
            var floor = Math.Min(h, r);
            md.AppendLine(Inv($"- Get hit / min(Health/Check, direct Redis GET) = {g:N0} / {floor:N0} = **{Percent(g / floor)}**"));
            if (noop is { } n)
            {
                var noopFloor = Math.Min(n, r);
                md.AppendLine(Inv($"- Get hit / min(ListNamespaces, direct Redis GET) = {g:N0} / {noopFloor:N0} = **{Percent(g / noopFloor)}** — Health/Check is not a no-op here (it runs the Redis and store health checks on every call, see its backend columns), so this is the ratio against a call that does no backend work."));
            }
        }

        if (put is { } p && get is { } g2)
        {
            var ratio = p / g2;
            md.AppendLine(Inv($"- Write-behind Put / Get hit = {p:N0} / {g2:N0} = **{Percent(ratio)}** (target ≥ {Percent(PutToGetTarget)}: {(ratio >= PutToGetTarget ? "met" : "**not met**")}) — with this instance's flushers writing the same Puts to the store on the same 2 cores."));
        }

        if (throughput.Find(ThroughputBenchmark.WriteBehindPutAckOnly)?.Load.OperationsPerSecond is { } ack && get is { } g3)
        {
            var ratio = ack / g3;
            md.AppendLine(Inv($"- Write-behind Put, flushers on another instance / Get hit = {ack:N0} / {g3:N0} = **{Percent(ratio)}** (target ≥ {Percent(PutToGetTarget)}: {(ratio >= PutToGetTarget ? "met" : "**not met**")}) — the acknowledgement path alone."));
        }
        else
        {
            md.AppendLine("- Write-behind Put / Get hit: not measured.");
        }

        if (throughput.BacklogAfterPut is { } backlog)
        {
            md.AppendLine(Inv($"- `wbbench` backlog right after the Put window (flushers running, BatchSize 500): {backlog:N0} entries. A large number means the flushers were behind the Put rate at this concurrency."));
        }

        md.AppendLine();
    }

    private static void RenderFlush(StringBuilder md, BenchOptions options, IReadOnlyList<FlushResult>? flush, string? skipped)
    {
        md.AppendLine("### Flusher throughput");
        md.AppendLine();
        md.AppendLine(Inv($"Per batch size, in a fresh namespace and collection (`wbflush<BatchSize>`): sidecar A with `Sidecar__WriteBehind__RunFlushers=false` queues the documents (distinct keys, {options.Concurrency} callers; its Put rate is shown), A is killed, and sidecar B with flushers on and the same namespace configuration is started. The backlog is the sum of `XLEN cs:{{<ns>:<p>}}:log` over the {WriteBehindBacklog.Partitions} partitions, read from Redis every 10 ms. **drain** runs from the last poll that saw no flusher activity (full backlog and no entry delivered to a consumer, i.e. `XINFO GROUPS` pending = 0) to the first poll that saw backlog 0; docs/s = docs / drain. \"B launch → 0\" also counts B's process start. B is a fresh process, so the drain includes its first-use costs (MongoDB connections, JIT of the flush path); with the default document count they are a small share."));
        md.AppendLine();
        if (flush is null)
        {
            md.AppendLine(Inv($"Not run: {skipped}."));
            md.AppendLine();
            return;
        }

        md.AppendLine("| BatchSize | docs | queue Put/s (A, no flush) | backlog before | drain s | **docs/s** | B launch → serving s | B launch → 0 s | docs in store |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var result in flush)
        {
            var docs = result.BatchSize == 1 && result.Docs != options.Docs
                ? Inv($"{result.Docs:N0} (docs/10)")
                : Inv($"{result.Docs:N0}");
            if (result.Problem is not null)
            {
                md.AppendLine(Inv($"| {result.BatchSize} | {docs} | {result.QueueRate:N0} | {result.BacklogBefore:N0} | failed: {result.Problem} | | | | {result.DocsInStore:N0} |"));
                continue;
            }

            md.AppendLine(Inv($"| {result.BatchSize} | {docs} | {result.QueueRate:N0} | {result.BacklogBefore:N0} | {result.Drain!.Value.TotalSeconds:F2} | **{result.DocsPerSecond:N0}** | {Seconds(result.LaunchToServing)} | {Seconds(result.LaunchToEmpty)} | {result.DocsInStore:N0} |"));
        }

        md.AppendLine();
        var missing = flush.Where(r => r.Problem is null && r.DocsInStore < r.Docs).ToList();
        if (missing.Count > 0)
        {
            md.AppendLine(Inv($"Note: for BatchSize {string.Join(", ", missing.Select(r => r.BatchSize))} the store holds fewer documents than were queued once the backlog read 0."));
            md.AppendLine();
        }

        // With 10 ms polls a drain of a few hundred ms has a coarse docs/s: say so instead of hiding it.
        var quick = flush.Where(r => r.Drain is { } d && d < TimeSpan.FromSeconds(1)).ToList();
        if (quick.Count > 0)
        {
            md.AppendLine(Inv($"Note: for BatchSize {string.Join(", ", quick.Select(r => r.BatchSize))} the drain took under 1 s, close to the 10 ms poll resolution; raise `--docs` for a firmer docs/s."));
            md.AppendLine();
        }
    }

    private static string PerCall(double value) => ReportText.PerCall(value);

    private static string Percent(double ratio) => ReportText.Percent(ratio);

    private static string Micros(double value) => ReportText.Micros(value);

    private static string Seconds(TimeSpan? value) => ReportText.Seconds(value);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
