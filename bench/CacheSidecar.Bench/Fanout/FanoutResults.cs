namespace CacheSidecar.Bench.Fanout;

/// <summary>A whole fanout run: every point in run order, and the cluster they ran on.</summary>
/// <param name="Points">Every measured point, round after round.</param>
/// <param name="RedisVersion">redis-server version of the cluster's nodes.</param>
/// <param name="NamespacesPerNode">How many of the namespaces' channels (and counters) each node owns.</param>
internal sealed record FanoutResults(
    IReadOnlyList<FanoutPoint> Points,
    int Rounds,
    string RedisVersion,
    IReadOnlyList<int> NamespacesPerNode)
{
    public bool Complete => Points.All(point => point.Complete);

    /// <summary>One row per instance count and scheme, in that order, over the rounds.</summary>
    public IReadOnlyList<FanoutRow> Rows =>
        Points.GroupBy(point => (point.Instances, point.Scheme))
            .Select(group => new FanoutRow(group.Key.Scheme, group.Key.Instances, group.ToList()))
            .ToList();
}
