using System.Globalization;
using System.Text;
using CacheSidecar.Bench.Fanout;
using static CacheSidecar.Bench.Reporting.FanoutReport;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// The "reading it" part of the <c>## Invalidation fan-out</c> section: the schemes side by side at the largest
/// instance count, in figures taken from the table (medians), and the caveats. Sentences state figures, not causes,
/// so they stay true whatever a run measures.
/// </summary>
internal static class FanoutReading
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Render(StringBuilder md, BenchOptions options, FanoutResults results)
    {
        var rows = results.Rows;
        var largest = rows.Max(row => row.Instances);
        FanoutRow? At(FanoutScheme scheme) =>
            rows.FirstOrDefault(row => row.Instances == largest && row.Scheme == scheme);
        if (At(FanoutScheme.Classic) is not { } classic || At(FanoutScheme.ShardedSubset) is not { } subset
            || At(FanoutScheme.ShardedAll) is not { } all)
        {
            return;
        }

        static double Delivered(FanoutPoint point) => point.DeliveredPerSecond;
        static double P99(FanoutPoint point) => point.DelayMilliseconds(99);
        static double RedisCores(FanoutPoint point) => point.RedisCores.Sum();
        static double BusiestNode(FanoutPoint point) => point.RedisCores.Max();
        static double Bus(FanoutPoint point) => point.BusPublishPerSecond;
        static double PerRead(FanoutPoint point) => point.MessagesPerRead;

        md.Append(C, $"Reading it, at {largest:N0} instances:").AppendLine().AppendLine();
        md.Append(C, $"- **Deliveries.** The classic channel delivers every invalidation to every instance")
            .Append(C, $" ({classic.Median(p => p.DeliveriesPerMessage):N0} per message,")
            .Append(C, $" {classic.Median(Delivered):N0}/s), although an instance following {options.Follow} of")
            .Append(C, $" {options.Namespaces} namespaces needs {(double)options.Follow / options.Namespaces:P1} of")
            .Append(C, $" them; the sharded channels deliver only to followers")
            .Append(C, $" ({subset.Median(p => p.DeliveriesPerMessage):N1} per message,")
            .Append(C, $" {subset.Median(Delivered):N0}/s,")
            .Append(C, $" {Ratio(classic.Median(Delivered), subset.Median(Delivered))} fewer).").AppendLine();
        md.Append(C, $"- **Delay p99**: {Ms(classic.Median(P99))} ms classic, {Ms(subset.Median(P99))} ms sharded")
            .Append(C, $" (followed only), {Ms(all.Median(P99))} ms sharded with every namespace followed.")
            .AppendLine();
        md.Append(C, $"- **Redis CPU**: {classic.Median(RedisCores):F2} cores classic (busiest node")
            .Append(C, $" {classic.Median(BusiestNode):F2}), {subset.Median(RedisCores):F2} sharded")
            .Append(C, $" ({subset.Median(BusiestNode):F2}), {all.Median(RedisCores):F2} sharded with all followed")
            .Append(C, $" ({all.Median(BusiestNode):F2}). With every namespace followed the deliveries are the")
            .Append(" classic channel's, but made by the nodes that own the namespaces instead of the one node all")
            .Append(" classic subscribers listen on.").AppendLine();
        md.Append(C, $"- **Cluster bus**: {classic.Median(Bus):N0} pub/sub messages/s classic")
            .Append(C, $" ({PerMessage(classic.Median(Bus), classic.Median(p => p.PublishedPerSecond))} per")
            .Append(" PUBLISH: every node gets every message, subscribers or not),")
            .Append(C, $" {subset.Median(Bus):N0}/s and {all.Median(Bus):N0}/s sharded (an SPUBLISH stays in its")
            .Append(" shard; there are no replicas here).").AppendLine();
        md.Append(C, $"- **Reading side**: one subscriber socket read carried {classic.Median(PerRead):F1} messages")
            .Append(C, $" on the classic channel, {subset.Median(PerRead):F1} sharded (followed only) and")
            .Append(C, $" {all.Median(PerRead):F1} sharded with all followed ({all.Connections:N0} sockets against")
            .Append(C, $" {classic.Connections:N0}: an instance needs one per node). Above 1, subscribers read")
            .Append(" behind Redis: messages queue in their sockets.").AppendLine().AppendLine();
        md.Append("Caveats: a real instance reads its messages on its own CPU across a network; here every")
            .Append(" subscriber shares the machine with Redis, so at hundreds of thousands of deliveries per second")
            .Append(" the delay includes the bench's own reading (bench CPU column) and the figures compare the")
            .Append(" schemes rather than give a capacity. The three nodes share the same cores too: spreading the")
            .Append(" deliveries over them (sharded, all followed) cannot gain here what it gains with a machine per")
            .Append(" node. Messages are small (one key of about 25 bytes); a message with many keys costs more per")
            .Append(" delivery in every scheme.").AppendLine().AppendLine();
    }
}
