using System.Globalization;
using System.Text.RegularExpressions;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// The watcher of one namespace as the sidecar itself counts it at one scrape of <c>/metrics</c> (or
/// the difference of two scrapes): the lag histogram's cumulative buckets, sum and count, and the
/// changes it applied by outcome.
/// </summary>
/// <param name="Buckets">Upper bound (seconds, ascending, last +∞) and cumulative count of each bucket.</param>
/// <param name="LagSumSeconds">Sum of the recorded lags.</param>
/// <param name="LagCount">Lags recorded: one per changed key per applied batch.</param>
/// <param name="Invalidated">Changes that dropped a cache entry.</param>
/// <param name="Skipped">Changes the cache already held (the sidecar's own versioned writes).</param>
/// <param name="Watching">The gauge at the scrape (1: this instance follows the stream); deltas keep the later.</param>
/// <param name="Found">The lag histogram was on <c>/metrics</c> at all.</param>
internal sealed partial record WatcherSnapshot(
    IReadOnlyList<(double UpperBound, double Cumulative)> Buckets,
    double LagSumSeconds,
    double LagCount,
    double Invalidated,
    double Skipped,
    double? Watching,
    bool Found)
{
    public double Changes => Invalidated + Skipped;

    public double MeanSeconds => LagCount > 0 ? LagSumSeconds / LagCount : double.NaN;

    public static WatcherSnapshot Read(PrometheusText metrics, string ns)
    {
        var label = $"namespace=\"{ns}\"";
        var buckets = metrics.Samples(ChangeStreamMetricNames.LagBucket, label)
            .Select(sample => (UpperBound: UpperBound(sample.Labels), Cumulative: sample.Value))
            .Where(bucket => !double.IsNaN(bucket.UpperBound))
            .OrderBy(bucket => bucket.UpperBound)
            .ToList();
        return new WatcherSnapshot(
            buckets,
            metrics.Sum(ChangeStreamMetricNames.LagSum, label) ?? 0,
            metrics.Sum(ChangeStreamMetricNames.LagCount, label) ?? 0,
            metrics.Sum(ChangeStreamMetricNames.Changes, label, "outcome=\"invalidated\"") ?? 0,
            metrics.Sum(ChangeStreamMetricNames.Changes, label, "outcome=\"skipped\"") ?? 0,
            metrics.Sum(ChangeStreamMetricNames.Watching, label),
            buckets.Count > 0);
    }

    /// <summary>What happened between <paramref name="before"/> and this scrape.</summary>
    public WatcherSnapshot Minus(WatcherSnapshot before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var earlier = before.Buckets.ToDictionary(bucket => bucket.UpperBound, bucket => bucket.Cumulative);
        var buckets = Buckets
            .Select(bucket => (bucket.UpperBound, bucket.Cumulative - earlier.GetValueOrDefault(bucket.UpperBound)))
            .ToList();
        return new WatcherSnapshot(
            buckets,
            LagSumSeconds - before.LagSumSeconds,
            LagCount - before.LagCount,
            Invalidated - before.Invalidated,
            Skipped - before.Skipped,
            Watching,
            Found);
    }

    /// <summary>
    /// The upper bound (seconds) of the bucket the <paramref name="percentile"/>-th lag falls in: the
    /// histogram only knows buckets, so "p99 ≤ this". +∞ when it is past the last finite bound; NaN when empty.
    /// </summary>
    public double PercentileUpperBound(double percentile)
    {
        var total = Buckets.Count == 0 ? 0 : Buckets[^1].Cumulative;
        if (total <= 0)
        {
            return double.NaN;
        }

        var rank = Math.Max(1, Math.Ceiling(percentile / 100 * total));
        foreach (var (upperBound, cumulative) in Buckets)
        {
            if (cumulative >= rank)
            {
                return upperBound;
            }
        }

        return double.PositiveInfinity;
    }

    private static double UpperBound(string labels)
    {
        var match = LeLabel().Match(labels);
        if (!match.Success)
        {
            return double.NaN;
        }

        var text = match.Groups[1].Value;
        if (text == "+Inf")
        {
            return double.PositiveInfinity;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : double.NaN;
    }

    [GeneratedRegex("(?:^|,)le=\"([^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex LeLabel();
}
