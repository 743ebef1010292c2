using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// One column of a row over its rounds: the median (the published figure), and the lowest and highest
/// run beside it, so a reader sees at once whether the figure survives a rerun. NaN runs (not measured)
/// are left out; the median is the one the <c>uds</c> and <c>api</c> rows use.
/// </summary>
/// <param name="Median">Median of the runs; NaN without any.</param>
/// <param name="Min">Lowest run.</param>
/// <param name="Max">Highest run.</param>
/// <param name="Runs">Runs that had a value.</param>
internal readonly record struct Spread(double Median, double Min, double Max, int Runs)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var measured = values.Where(v => !double.IsNaN(v)).ToList();
        return measured.Count == 0
            ? new Spread(double.NaN, double.NaN, double.NaN, 0)
            : new Spread(Statistics.Median(measured), measured.Min(), measured.Max(), measured.Count);
    }

    public static Spread Of<T>(IEnumerable<T> runs, Func<T, double> value) => Of(runs.Select(value));

    /// <summary>The ratio a / b of each round's pair (same round), as a spread: a ratio of medians would hide how much it moved.</summary>
    public static Spread OfRatios(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) =>
        Of(numerators.Zip(denominators, (a, b) => b > 0 ? a / b : double.NaN));

    public bool Measured => Runs > 0;
}
