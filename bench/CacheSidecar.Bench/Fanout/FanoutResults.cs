namespace CacheSidecar.Bench.Fanout;

/// <summary>A whole fanout run: the points, in run order, and the cluster they ran on.</summary>
/// <param name="RedisVersion">redis-server version of the cluster's nodes.</param>
/// <param name="NamespacesPerNode">How many of the namespaces' channels (and counters) each node owns.</param>
internal sealed record FanoutResults(
    IReadOnlyList<FanoutPoint> Points,
    string RedisVersion,
    IReadOnlyList<int> NamespacesPerNode)
{
    public bool Complete => Points.All(point => point.Complete);
}
