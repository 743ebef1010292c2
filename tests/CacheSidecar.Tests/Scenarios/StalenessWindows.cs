using System.Globalization;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// How long a near cache (the sidecar's L1 or the SDK's) went on answering the old value after a write returned
/// elsewhere, per write: the window from the write returning to the first read of the new value.
/// </summary>
internal sealed record StalenessWindows(List<TimeSpan> All, int StaleReads, TimeSpan Bound)
{
    public TimeSpan Max => All.Max();

    public string Describe(string what, string phase)
    {
        var sorted = All.Order().ToList();
        string Ms(double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)]
            .TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture);
        return $"{what} staleness after a Put on the other sidecar, {phase}: {sorted.Count} writes, {StaleReads} stale reads; "
            + $"window p50 {Ms(0.50)} ms, p99 {Ms(0.99)} ms, max {Ms(1.0)} ms (bound {Bound.TotalMilliseconds:0} ms)";
    }
}
