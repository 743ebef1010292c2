namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// One scheme at one instance count over the rounds: the table and the plot show the median of each figure (a
/// stall of the shared machine costs one round, which the median absorbs), losses are summed.
/// </summary>
internal sealed record FanoutRow(FanoutScheme Scheme, int Instances, IReadOnlyList<FanoutPoint> Runs)
{
    /// <summary>The same in every round: the plan depends on the instance count and the slot map only.</summary>
    public int Connections => Runs[0].Connections;

    public long Subscriptions => Runs[0].Subscriptions;

    public long Lost => Runs.Sum(run => run.Lost);

    public long Gaps => Runs.Sum(run => run.Gaps);

    public bool Complete => Runs.All(run => run.Complete);

    public double Median(Func<FanoutPoint, double> figure)
    {
        var values = Runs.Select(figure).Where(value => !double.IsNaN(value)).Order().ToArray();
        return values.Length == 0 ? double.NaN
            : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    public double Min(Func<FanoutPoint, double> figure) => Runs.Select(figure).DefaultIfEmpty(double.NaN).Min();

    public double Max(Func<FanoutPoint, double> figure) => Runs.Select(figure).DefaultIfEmpty(double.NaN).Max();
}
