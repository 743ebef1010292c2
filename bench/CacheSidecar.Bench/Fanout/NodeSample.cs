using System.Globalization;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// One node's counters at one moment: CPU time (<c>INFO cpu</c>: used_cpu_sys + used_cpu_user, main thread and
/// I/O threads together) and what it sent over the cluster bus (<c>CLUSTER INFO</c>): pub/sub messages
/// (<c>publish</c>: a classic PUBLISH goes to every other node; <c>publishshard</c>: an SPUBLISH only to the
/// shard's replicas, none here) and all bus messages (pings and pongs included).
/// </summary>
internal sealed record NodeSample(double CpuSeconds, long BusPublishSent, long BusMessagesSent)
{
    public static NodeSample Parse(string cpuInfo, string clusterInfo) => new(
        Number(cpuInfo, "used_cpu_sys") + Number(cpuInfo, "used_cpu_user"),
        (long)(Number(clusterInfo, "cluster_stats_messages_publish_sent")
            + Number(clusterInfo, "cluster_stats_messages_publishshard_sent")),
        (long)Number(clusterInfo, "cluster_stats_messages_sent"));

    // A field the server does not report (no message of that type sent yet) counts as 0.
    private static double Number(string info, string field)
    {
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return double.Parse(line[(field.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
