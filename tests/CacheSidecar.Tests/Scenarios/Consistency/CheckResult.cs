using System.Globalization;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// What <see cref="HistoryChecker"/> found: the violations, and the real-time freshness measure (every stale
/// read and its staleness, whether or not it was within the allowance), so tests can print and bound it.
/// </summary>
internal sealed class CheckResult
{
    public CheckResult(IReadOnlyList<Violation> violations, IReadOnlyList<StaleRead> staleReads, int reads)
    {
        Violations = violations;
        StaleReads = [.. staleReads.OrderByDescending(stale => stale.Staleness)];
        Reads = reads;
    }

    public IReadOnlyList<Violation> Violations { get; }

    /// <summary>Every stale read, the stalest first.</summary>
    public IReadOnlyList<StaleRead> StaleReads { get; }

    /// <summary>Successful Gets checked for freshness.</summary>
    public int Reads { get; }

    public TimeSpan MaxStaleness => StaleReads.Count == 0 ? TimeSpan.Zero : StaleReads[0].Staleness;

    /// <summary>The <paramref name="percentile"/> (0..100, nearest rank) of the stale reads' staleness.</summary>
    public TimeSpan StalenessPercentile(double percentile)
    {
        if (StaleReads.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var ascending = StaleReads.Count - 1;
        var rank = (int)Math.Ceiling(percentile / 100 * StaleReads.Count) - 1;
        return StaleReads[ascending - Math.Clamp(rank, 0, ascending)].Staleness;
    }

    public IEnumerable<Violation> Of(CheckRule rule) => Violations.Where(violation => violation.Rule == rule);

    /// <summary>One line for the test output: the measure and the violations by rule.</summary>
    public string Summary()
    {
        var byRule = Violations.GroupBy(v => v.Rule).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        var max = MaxStaleness.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        var p99 = StalenessPercentile(99).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        return $"{StaleReads.Count} stale read(s) of {Reads}, max staleness {max} ms, p99 {p99} ms; "
            + $"{Violations.Count} violation(s)"
            + (Violations.Count == 0 ? string.Empty : $" ({string.Join(", ", byRule)})");
    }
}
