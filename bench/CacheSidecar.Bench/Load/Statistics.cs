namespace CacheSidecar.Bench.Load;

/// <summary>What the commands that run every row several times (api, uds, fastpath) summarise runs with.</summary>
internal static class Statistics
{
    /// <summary>The median of the measured values (NaN ones, runs that measured nothing, left out); NaN when none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
