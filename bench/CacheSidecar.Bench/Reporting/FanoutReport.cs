using System.Globalization;
using System.Text;
using CacheSidecar.Bench.Fanout;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Invalidation fan-out</c> section (also printed to stdout) of one fanout run.</summary>
internal static class FanoutReport
{
    public const string Heading = "## Invalidation fan-out";

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
        md.AppendLine(plotProblem is null
            ? "![Delivery delay and delivered messages per second against instances, per scheme](benchmarks-fanout.png)"
            : $"The plot could not be drawn: {plotProblem}");
        md.AppendLine();
        RenderReading(md, options, results);
        return md.ToString();
    }

    private static void RenderContext(StringBuilder md, BenchOptions options, MachineInfo machine,
        string loadAverageAtEnd, FanoutResults results)
    {
        var commit = machine.Commit is null ? "" : $", commit {machine.Commit}";
        md.Append(C, $"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC{commit}, {machine.BuildConfiguration} build.").AppendLine();
        md.AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (parameters below the defaults): indicative only. The reference numbers come");
            md.AppendLine("> from `dotnet run -c Release --project bench/CacheSidecar.Bench -- fanout`.");
            md.AppendLine();
        }

        md.AppendLine("```bash");
        md.AppendLine(Command(options, machine.BuildConfiguration));
        md.AppendLine("```");
        md.AppendLine();
        md.Append(C, $"- Machine: {machine.Cores} cores ({machine.CpuModel}), {machine.OperatingSystem},")
            .Append(C, $" {machine.Runtime}.")
            .AppendLine();
        md.Append(C, $"- Load average (1/5/15 min) at start: {machine.LoadAverageAtStart}; at end:")
            .Append(C, $" {loadAverageAtEnd}. Everything below shares these cores: the three redis-server nodes and the bench")
            .Append(" process (publisher and every simulated subscriber).")
            .AppendLine();
        md.Append(C, $"- Redis: a local Redis Cluster of 3 masters (redis-server {results.RedisVersion}, no replicas,")
            .Append(" no persistence) started by the bench on 127.0.0.1 (tests/RedisTestServers). The namespaces' channels")
            .Append(C, $" and counters fall on the nodes {string.Join(" / ", results.NamespacesPerNode)} of")
            .Append(C, $" {options.Namespaces} (CRC16 of the hash tag `{{nsNN:l1}}`).")
            .AppendLine();
        md.AppendLine("- No sidecar runs: this is the invalidation path alone, with the sidecar's own Lua steps.");
        md.AppendLine();
    }

    private static void RenderMethod(StringBuilder md, BenchOptions options)
    {
        md.Append(C, $"One publisher sends {options.Rate:N0} invalidations per second for {options.DurationSeconds} s")
            .Append(C, $" per point, round robin over {options.Namespaces} namespaces, open loop (message i due at start + i /")
            .Append(" rate, whatever is still in flight), through StackExchange.Redis `ScriptEvaluateAsync` of the")
            .Append(" sidecar's Lua step — `INCR` of the namespace's counter `<prefix>:{<ns>:l1}:seq`, then the publish,")
            .Append(" routed by that key to the namespace's node. The message's key is the publisher's **intended** send")
            .Append(" time (a Stopwatch timestamp: one process, one clock).")
            .AppendLine();
        md.AppendLine();
        md.AppendLine("N instances are simulated in the bench process, each by raw RESP2 sockets (a StackExchange.Redis"
            + " multiplexer per instance would measure the client library, not Redis), one per node it needs:");
        md.AppendLine();
        md.Append(C, $"- **{FanoutScheme.Classic.Name}** (before): `PUBLISH <prefix>:l1 \"<ns>\\n<seq>\\n<key>\"`;")
            .Append(" every instance `SUBSCRIBE`s to that one channel on the node owning its slot (where StackExchange.Redis")
            .Append(" sends it), so every instance receives every namespace's messages, and the cluster bus carries every")
            .Append(" PUBLISH to every other node.")
            .AppendLine();
        md.Append(C, $"- **{FanoutScheme.ShardedSubset.Name}** (now): `SPUBLISH <prefix>:{{<ns>:l1}}:ch")
            .Append(C, $" \"<seq>\\nk\\n<key>\"`; each instance `SSUBSCRIBE`s, on the owning node, to the {options.Follow}")
            .Append(C, $" namespaces it follows (instance i follows namespaces {options.Follow}·i … {options.Follow}·i +")
            .Append(C, $" {options.Follow - 1} mod {options.Namespaces}: every namespace has the same number of followers).")
            .AppendLine();
        md.Append(C, $"- **{FanoutScheme.ShardedAll.Name}** (now, worst case): as above, every instance")
            .Append(C, $" following all {options.Namespaces} namespaces.")
            .AppendLine();
        md.AppendLine();
        md.AppendLine("Each point has fresh names (counters start at 1), its subscribers connect and are confirmed"
            + " before the first message, and the point ends when every expected message arrived (or none for 5 s)."
            + " **delivered/s** = messages received by all subscribers / (last receipt − first message due);"
            + " **delay** = receipt (the socket read that returned it) − intended send time, over every delivery"
            + " (HdrHistogram); **lost** = per subscriber and namespace, published − received, with sequence gaps"
            + " (duplicates, reordering) in brackets — both must be 0; **Redis CPU** = `INFO cpu` (sys + user) delta"
            + " over the point's wall-clock time, summed over the nodes, busiest node in brackets; **bus** = pub/sub"
            + " messages the nodes sent each other (`CLUSTER INFO` publish + publishshard sent) per second. An unrecorded"
            + " 1 s warm-up point runs first.");
        md.AppendLine();
    }

    private static void RenderTable(StringBuilder md, FanoutResults results)
    {
        md.AppendLine("| scheme | instances | sockets | subscriptions | published/s | delivered/s | deliveries per msg"
            + " | delay p50 ms | p99 ms | max ms | lost (gaps) | Redis CPU, cores (busiest) | bus msgs/s"
            + " | bench CPU, cores |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var point in results.Points)
        {
            var lost = point.Complete ? Inv($"{point.Lost:N0} ({point.Gaps:N0})") : Inv($"**{point.Lost:N0} ({point.Gaps:N0})**");
            md.Append(C, $"| {point.Scheme.Name} | {point.Instances:N0} | {point.Connections:N0}")
                .Append(C, $" | {point.Subscriptions:N0} | {point.PublishedPerSecond:N0} | {point.DeliveredPerSecond:N0}")
                .Append(C, $" | {point.DeliveriesPerMessage:N1} | {Ms(point.DelayMilliseconds(50))}")
                .Append(C, $" | {Ms(point.DelayMilliseconds(99))} | {Ms(point.MaxDelayMilliseconds)} | {lost}")
                .Append(C, $" | {point.RedisCores.Sum():F2} ({point.RedisCores.Max():F2}) | {point.BusPublishPerSecond:N0}")
                .Append(C, $" | {point.BenchCores:F2} |")
                .AppendLine();
        }

        md.AppendLine();
        foreach (var point in results.Points.Where(point => !point.Complete))
        {
            md.Append(C, $"- **{point.Scheme.Name}, {point.Instances:N0} instances**: delivered")
                .Append(C, $" {point.Delivered:N0} of {point.Expected:N0}; publish errors {point.Publish.Errors:N0};")
                .Append(C, $" {point.Problem ?? "no connection broke"}.")
                .AppendLine();
        }

        if (!results.Complete)
        {
            md.AppendLine();
        }
    }

    private static void RenderReading(StringBuilder md, BenchOptions options, FanoutResults results)
    {
        var largest = results.Points.Max(point => point.Instances);
        var classic = results.Points.FirstOrDefault(p => p.Instances == largest && p.Scheme == FanoutScheme.Classic);
        var subset = results.Points.FirstOrDefault(p => p.Instances == largest && p.Scheme == FanoutScheme.ShardedSubset);
        var all = results.Points.FirstOrDefault(p => p.Instances == largest && p.Scheme == FanoutScheme.ShardedAll);
        if (classic is null || subset is null || all is null)
        {
            return;
        }

        md.Append(C, $"Reading it, at {largest:N0} instances: the classic channel delivered")
            .Append(C, $" {classic.DeliveriesPerMessage:N0} messages per invalidation ({classic.DeliveredPerSecond:N0}/s), of")
            .Append(C, $" which each instance needed {options.Follow} namespaces' worth")
            .Append(C, $" ({(double)options.Follow / options.Namespaces:P1}); the sharded channels delivered")
            .Append(C, $" {subset.DeliveriesPerMessage:N1} per invalidation ({subset.DeliveredPerSecond:N0}/s), ")
            .Append(C, $"{Ratio(classic.DeliveredPerSecond, subset.DeliveredPerSecond)} fewer, at p99")
            .Append(C, $" {Ms(subset.DelayMilliseconds(99))} ms against {Ms(classic.DelayMilliseconds(99))} ms and Redis CPU")
            .Append(C, $" {subset.RedisCores.Sum():F2} against {classic.RedisCores.Sum():F2} cores. The cluster bus carried")
            .Append(C, $" {classic.BusPublishPerSecond:N0} pub/sub messages/s for the classic channel (each PUBLISH to the 2 other")
            .Append(C, $" nodes, subscribers or not) and {subset.BusPublishPerSecond:N0}/s for the sharded ones. With every")
            .Append(C, $" instance following every namespace the deliveries are the classic channel's")
            .Append(C, $" ({all.DeliveredPerSecond:N0}/s), but spread over the namespaces' nodes (busiest node")
            .Append(C, $" {all.RedisCores.Max():F2} cores against {classic.RedisCores.Max():F2}) and without the bus traffic:")
            .Append(C, $" p99 {Ms(all.DelayMilliseconds(99))} ms.")
            .AppendLine();
        md.AppendLine();
        md.AppendLine("Caveats: on a real deployment each instance reads its messages on its own CPU across a network;"
            + " here every subscriber shares the machine with Redis, so when deliveries reach hundreds of thousands per"
            + " second the delay includes the bench's own reading (bench CPU column), and the numbers are a ratio"
            + " between schemes more than a capacity. Messages are small (one key of about 25 bytes); a message with"
            + " many keys costs more per delivery, the same for every scheme.");
        md.AppendLine();
    }

    private static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "–" : Inv($"{milliseconds:F2}");

    private static string Ratio(double before, double after) => after <= 0 ? "–" : Inv($"{before / after:F1}×");
}
