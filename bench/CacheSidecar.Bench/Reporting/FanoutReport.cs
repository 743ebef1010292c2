using System.Globalization;
using System.Text;
using CacheSidecar.Bench.Fanout;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Invalidation fan-out</c> section (also printed to stdout) of one fanout run.</summary>
internal static class FanoutReport
{
    public const string Heading = "## Invalidation fan-out";

    // StringBuilder.Append(provider, $"…") formats each hole invariantly without building an intermediate string,
    // and lets a long sentence be written as a chain of short source lines.
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string loadAverageAtEnd,
        FanoutResults results, string? plotProblem)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        RenderContext(md, options, machine, loadAverageAtEnd, results);
        RenderMethod(md, options);
        RenderTable(md, results);
        RenderBusSplit(md, results);
        md.AppendLine(plotProblem is null
            ? "![Delivery delay and delivered messages per second against instances, per scheme](benchmarks-fanout.png)"
                + "\n\nOn the right, the classic channel and the sharded one with every namespace followed lie on"
                + " top of each other: both deliver every message to every instance."
            : $"The plot could not be drawn: {plotProblem}");
        md.AppendLine();
        FanoutReading.Render(md, options, results);
        return md.ToString();
    }

    private static void RenderContext(StringBuilder md, BenchOptions options, MachineInfo machine,
        string loadAverageAtEnd, FanoutResults results)
    {
        md.Append(C, $"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC")
            .Append(machine.Commit is null ? "" : $", commit {machine.Commit}")
            .Append(C, $", {machine.BuildConfiguration} build.").AppendLine().AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (parameters below the defaults): indicative only. The reference numbers")
                .AppendLine("> come from `dotnet run -c Release --project bench/CacheSidecar.Bench -- fanout`.")
                .AppendLine();
        }

        md.AppendLine("```bash").AppendLine(Command(options, machine.BuildConfiguration))
            .AppendLine("```").AppendLine();
        md.Append(C, $"- Machine: {machine.Cores} cores ({machine.CpuModel}), {machine.OperatingSystem},")
            .Append(C, $" {machine.Runtime}.").AppendLine();
        md.Append(C, $"- Load average (1/5/15 min) at start: {machine.LoadAverageAtStart};")
            .Append(C, $" at end: {loadAverageAtEnd}.")
            .Append(" Everything below shares these cores: the three redis-server nodes and the bench process")
            .Append(" (publisher and every simulated subscriber).").AppendLine();
        md.Append(C, $"- Redis: a Redis Cluster of 3 masters (redis-server {results.RedisVersion}, no replicas, no")
            .Append(" persistence) started by the bench on 127.0.0.1 (tests/RedisTestServers). The namespaces'")
            .Append(" channels")
            .Append(C, $" and counters fall on the nodes {string.Join(" / ", results.NamespacesPerNode)} of")
            .Append(C, $" {options.Namespaces} (CRC16 of the hash tag `{{nsNN:l1}}`).").AppendLine();
        md.AppendLine("- No sidecar runs: this is the invalidation path alone, with the sidecar's own Lua steps.")
            .AppendLine();
    }

    private static void RenderMethod(StringBuilder md, BenchOptions options)
    {
        md.Append(C, $"One publisher sends {options.Rate:N0} invalidations per second for {options.DurationSeconds}")
            .Append(C, $" s per point, round robin over {options.Namespaces} namespaces, open loop (message i due at")
            .Append(" start + i / rate, sent whatever is still in flight), with StackExchange.Redis")
            .Append(" `ScriptEvaluateAsync` of the sidecar's Lua step: `INCR` of the namespace's counter")
            .Append(" `<prefix>:{<ns>:l1}:seq` and the publish, routed by that key to the namespace's node. The")
            .Append(" message's key is the **intended** send time (a Stopwatch timestamp: one process, one clock).")
            .AppendLine().AppendLine();
        md.Append("N instances are simulated in the bench process by raw RESP2 sockets, one per node an instance")
            .Append(" needs (a StackExchange.Redis multiplexer per instance would measure the client library):")
            .AppendLine().AppendLine();
        md.Append(C, $"- **{FanoutScheme.Classic.Name}** (before): `PUBLISH <prefix>:l1 \"<ns>\\n<seq>\\n<key>\"`;")
            .Append(" every instance `SUBSCRIBE`s to that one channel, on the node owning its slot (where")
            .Append(" StackExchange.Redis sends it). Every instance receives every namespace's messages, and the")
            .Append(" cluster bus carries every PUBLISH to every other node.").AppendLine();
        md.Append(C, $"- **{FanoutScheme.ShardedSubset.Name}** (now): `SPUBLISH <prefix>:{{<ns>:l1}}:ch")
            .Append(C, $" \"<seq>\\nk\\n<key>\"`; each instance `SSUBSCRIBE`s on the owning nodes to the")
            .Append(C, $" {options.Follow} namespaces it follows (instance i: namespaces {options.Follow}·i to")
            .Append(C, $" {options.Follow}·i + {options.Follow - 1} mod {options.Namespaces}, so every namespace has")
            .Append(" as many followers).").AppendLine();
        md.Append(C, $"- **{FanoutScheme.ShardedAll.Name}** (now, worst case): the same, every instance following")
            .Append(C, $" all {options.Namespaces} namespaces.").AppendLine().AppendLine();
        md.Append("Each point has fresh names (counters start at 1); its subscribers are connected and confirmed")
            .Append(" before the first message, and it ends when every expected message arrived (or none for 5 s).")
            .Append(" **delivered/s** = messages received by all subscribers / (last receipt − first message due).")
            .Append(" **delay** = receipt (the socket read that returned it) − intended send time, over every")
            .Append(" delivery (HdrHistogram). **lost** = per subscriber and namespace, published − received, with")
            .Append(" sequence gaps (a skipped, repeated or reordered sequence) in brackets: both must be 0.")
            .Append(" **Redis CPU** = `INFO cpu` (sys + user) delta over the point's wall-clock time, all nodes, the")
            .Append(" busiest in brackets. **bus** = pub/sub messages the nodes sent each other per second")
            .Append(" (`CLUSTER INFO` publish + publishshard sent). Unrecorded 1 s warm-up points (classic and")
            .Append(" sharded, 10 instances) run first.")
            .AppendLine().AppendLine();
    }

    private static void RenderTable(StringBuilder md, FanoutResults results)
    {
        md.Append(C, $"Every figure is the median of the {results.Rounds} rounds (p99 with the lowest and highest")
            .Append(" beside it); lost and gaps are summed over the rounds.").AppendLine().AppendLine();
        md.Append("| scheme | instances | sockets | subscriptions | published/s | delivered/s | deliveries per msg")
            .Append(" | delay p50 ms | p99 ms (range) | max ms | lost (gaps) | Redis CPU, cores (busiest node)")
            .AppendLine(" | bus msgs/s | bench CPU, cores | msgs per read |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.Rows)
        {
            var lost = string.Create(C, $"{row.Lost:N0} ({row.Gaps:N0})");
            md.Append(C, $"| {row.Scheme.Name} | {row.Instances:N0} | {row.Connections:N0}")
                .Append(C, $" | {row.Subscriptions:N0} | {row.Median(p => p.PublishedPerSecond):N0}")
                .Append(C, $" | {row.Median(p => p.DeliveredPerSecond):N0}")
                .Append(C, $" | {row.Median(p => p.DeliveriesPerMessage):N1}")
                .Append(C, $" | {Ms(row.Median(p => p.DelayMilliseconds(50)))}")
                .Append(C, $" | {Ms(row.Median(p => p.DelayMilliseconds(99)))}")
                .Append(C, $" ({Ms(row.Min(p => p.DelayMilliseconds(99)))}")
                .Append(C, $"–{Ms(row.Max(p => p.DelayMilliseconds(99)))})")
                .Append(C, $" | {Ms(row.Median(p => p.MaxDelayMilliseconds))}")
                .Append(C, $" | {(row.Complete ? lost : $"**{lost}**")}")
                .Append(C, $" | {row.Median(p => p.RedisCores.Sum()):F2} ({row.Median(p => p.RedisCores.Max()):F2})")
                .Append(C, $" | {row.Median(p => p.BusPublishPerSecond):N0} | {row.Median(p => p.BenchCores):F2}")
                .Append(C, $" | {row.Median(p => p.MessagesPerRead):F1} |").AppendLine();
        }

        md.AppendLine();
        foreach (var point in results.Points.Where(point => !point.Complete))
        {
            md.Append(C, $"- **{point.Scheme.Name}, {point.Instances:N0} instances**: delivered")
                .Append(C, $" {point.Delivered:N0} of {point.Expected:N0}; publish errors {point.Publish.Errors:N0};")
                .Append(C, $" {point.Problem ?? "no connection broke"}.").AppendLine();
        }

        if (!results.Complete)
        {
            md.AppendLine();
        }
    }

    // The classic channel's delays apart by path: a message published on the subscribers' node is delivered by
    // that node; one published elsewhere first crosses the cluster bus.
    private static void RenderBusSplit(StringBuilder md, FanoutResults results)
    {
        var classic = results.Rows.Where(row => row.Scheme == FanoutScheme.Classic).ToList();
        if (classic.Count == 0)
        {
            return;
        }

        md.AppendLine("Classic channel, delay by path (ms, medians): messages published on the subscribers' node,")
            .AppendLine("and messages published on another node that reached it over the cluster bus.").AppendLine();
        md.Append("| instances | same node: deliveries | p50 | p99 | max")
            .AppendLine(" | over the bus: deliveries | p50 | p99 | max |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in classic)
        {
            md.Append(C, $"| {row.Instances:N0} | {Path(row, p => p.SameNodeDelays)}")
                .Append(C, $" | {Path(row, p => p.ViaBusDelays)} |").AppendLine();
        }

        md.AppendLine();
        var lightest = classic.MinBy(row => row.Instances)!;
        var viaBus = lightest.Median(p => FanoutPoint.Milliseconds(p.ViaBusDelays, 99));
        var sameNode = lightest.Median(p => FanoutPoint.Milliseconds(p.SameNodeDelays, 99));
        md.Append(C, $"At {lightest.Instances:N0} instances, the lightest load, a message that crossed the bus")
            .Append(C, $" arrived at p99 {Ms(viaBus)} ms, one published on the subscribers' node at")
            .Append(C, $" {Ms(sameNode)} ms.");
        if (viaBus is >= 30 and <= 60 && viaBus > 2 * sameNode)
        {
            // Only said when the numbers show it: a tail near the kernel's 40 ms delayed-ACK timer.
            md.Append(" A tail near 40 ms is the mark of Nagle's algorithm meeting delayed ACKs: Redis 7.0 does not")
                .Append(" set TCP_NODELAY on the cluster-bus connections a node opens (redis/redis#11869,")
                .Append(" valkey-io/valkey#1758), so a forwarded PUBLISH can wait for the ACK of the previous bus")
                .Append(" packet. Sharded channels never take that path.");
        }

        md.AppendLine().AppendLine();
    }

    private static string Path(FanoutRow row, Func<FanoutPoint, HdrHistogram.HistogramBase> delays) =>
        string.Join(" | ", [string.Create(C, $"{row.Median(p => delays(p).TotalCount):N0}"),
            .. new[] { 50.0, 99, 100 }.Select(q => Ms(row.Median(p => FanoutPoint.Milliseconds(delays(p), q))))]);

    public static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "–" : Inv($"{milliseconds:F2}");

    public static string Ratio(double before, double after) => after <= 0 ? "–" : Inv($"{before / after:F1}×");

    public static string PerMessage(double count, double messages) =>
        messages <= 0 ? "–" : Inv($"{count / messages:F1}");
}
