using System.Diagnostics;
using System.Globalization;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// Writes what a fault run did and what the checker found: the operations, the calls that failed, the fault
/// schedule as it happened, the freshness measure and the first violations. Times are seconds on the
/// <see cref="Stopwatch"/> clock, as in <see cref="Op.ToString"/>, so each operation can be set against the
/// fault window.
/// </summary>
internal sealed class FaultRunReport
{
    private readonly List<string> _timeline = [];
    private readonly Lock _gate = new();

    /// <summary>Records a fault event (e.g. "Redis SIGKILLed") at the current time.</summary>
    public void Mark(string what)
    {
        var line = $"{Op.Seconds(Stopwatch.GetTimestamp())} {what}";
        lock (_gate)
        {
            _timeline.Add(line);
        }
    }

    public IReadOnlyList<string> Timeline
    {
        get
        {
            lock (_gate)
            {
                return [.. _timeline];
            }
        }
    }

    public void Write(ITestOutputHelper output, string title, IReadOnlyList<Op> history, CheckResult result,
        int maxViolations = 20)
    {
        var kinds = history.GroupBy(op => op.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine($"{title}: {history.Count} operations ({string.Join(", ", kinds)})");
        var failed = history.Where(op => !op.Ok)
            .GroupBy(op => $"{op.Kind} via sidecar {op.Sidecar} {op.Error?.Split(':')[0]}")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine($"  failed calls: {history.Count(op => !op.Ok)} ({string.Join(", ", failed)})");
        if (history.Count > 0)
        {
            output.WriteLine($"  run: {Op.Seconds(history.Min(op => op.Invoke))} .. "
                + $"{Op.Seconds(history.Max(op => op.Complete))}");
        }

        foreach (var line in Timeline)
        {
            output.WriteLine("  fault: " + line);
        }

        output.WriteLine($"  stale reads: {result.StaleReads.Count} of {result.Reads} successful Gets");
        output.WriteLine($"  max staleness: {Milliseconds(result.MaxStaleness)} ms");
        output.WriteLine($"  p99 staleness of stale reads: {Milliseconds(result.StalenessPercentile(99))} ms");
        output.WriteLine("  " + result.Summary());
        foreach (var stale in result.StaleReads.Take(5))
        {
            output.WriteLine("  stalest: " + stale);
        }

        foreach (var violation in result.Violations.Take(maxViolations))
        {
            output.WriteLine("  " + violation);
        }

        if (HistoryDump.WriteIfRequested(title.Replace(' ', '-').Replace(",", "", StringComparison.Ordinal), history,
            Timeline) is { } dumped)
        {
            output.WriteLine("  history: " + dumped);
        }
    }

    private static string Milliseconds(TimeSpan span) =>
        span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
