using System.Globalization;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// The delta of one of the sidecar's duration histograms between two scrapes (series with the given
/// labels summed bucket by bucket). Its buckets are coarse (100, 250, 500 µs, 1, 2.5, 5 ms, …), so a
/// percentile is interpolated linearly inside its bucket, as Prometheus' <c>histogram_quantile</c> does:
/// read it as "within that bucket", not to the microsecond.
/// </summary>
/// <param name="Buckets">Upper bound in seconds and cumulative count, ascending (+Inf last).</param>
internal sealed record ServerHistogram(IReadOnlyList<(double UpperSeconds, double Cumulative)> Buckets)
{
    public double Count => Buckets.Count == 0 ? 0 : Buckets[^1].Cumulative;

    /// <summary>The delta of <paramref name="metric"/> (e.g. <c>cachesidecar_rpc_duration_seconds</c>); null when the sidecar does not export it or nothing was recorded.</summary>
    public static ServerHistogram? Between(PrometheusText before, PrometheusText after, string metric, params string[] labels)
    {
        var bucket = metric + "_bucket";
        var end = Cumulative(after, bucket, labels);
        if (end.Count == 0)
        {
            return null;
        }

        var start = Cumulative(before, bucket, labels);
        var buckets = end.Select(e => (e.Key, e.Value - start.GetValueOrDefault(e.Key))).OrderBy(b => b.Key).ToList();
        return buckets[^1].Item2 <= 0 ? null : new ServerHistogram(buckets);
    }

    /// <summary>The percentile in µs, interpolated inside its bucket; NaN without calls; the last finite bound when it falls in +Inf.</summary>
    public double PercentileMicroseconds(double percentile)
    {
        var rank = percentile / 100 * Count;
        var lowerBound = 0.0;
        var lowerCount = 0.0;
        foreach (var (upper, cumulative) in Buckets)
        {
            if (cumulative >= rank && cumulative > lowerCount)
            {
                if (double.IsPositiveInfinity(upper))
                {
                    return lowerBound * 1_000_000;
                }

                return (lowerBound + ((upper - lowerBound) * (rank - lowerCount) / (cumulative - lowerCount))) * 1_000_000;
            }

            lowerBound = upper;
            lowerCount = cumulative;
        }

        return double.NaN;
    }

    private static Dictionary<double, double> Cumulative(PrometheusText metrics, string bucket, string[] labels)
    {
        var sums = new Dictionary<double, double>();
        foreach (var (labelText, value) in metrics.Samples(bucket, labels))
        {
            var le = labelText.Split(',').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("le=\"", StringComparison.Ordinal));
            if (le is null)
            {
                continue;
            }

            var text = le[4..^1];
            var upper = text == "+Inf" ? double.PositiveInfinity : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            sums[upper] = sums.GetValueOrDefault(upper) + value;
        }

        return sums;
    }
}
