using System.Diagnostics;
using HdrHistogram;

namespace CacheSidecar.Bench.Load;

/// <summary>
/// One caller, one call at a time, a fixed number of calls: the plain round trip of an operation with
/// nothing else in flight, as a baseline to read loaded or lagging figures against.
/// </summary>
internal static class SequentialLoad
{
    private static readonly long HighestTrackableTicks = Stopwatch.Frequency * 60;

    /// <summary>
    /// Calls <paramref name="operation"/> with sequence 0 … warm-up + measured − 1 and records the
    /// latency of the last <paramref name="measuredCalls"/>; the first ones warm the path (JIT, pools).
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        string name, int warmUpCalls, int measuredCalls, Operation operation, CancellationToken cancellationToken)
    {
        var latencies = new LongHistogram(HighestTrackableTicks, 3);
        long errors = 0;
        long unexpected = 0;
        string? firstProblem = null;
        var window = Stopwatch.StartNew();
        for (var sequence = 0; sequence < warmUpCalls + measuredCalls; sequence++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (sequence == warmUpCalls)
            {
                window.Restart();
            }

            var started = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = await operation(sequence, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                errors++;
                firstProblem ??= $"{name}: {ex.GetType().Name}: {ex.Message}";
                continue;
            }

            var elapsed = Stopwatch.GetTimestamp() - started;
            if (!ok)
            {
                unexpected++;
                firstProblem ??= $"{name}: call {sequence} returned an unexpected answer";
            }

            if (sequence >= warmUpCalls)
            {
                latencies.RecordValue(Math.Min(elapsed, HighestTrackableTicks));
            }
        }

        return new LoadResult(
            name, latencies, window.Elapsed, warmUpCalls + measuredCalls, errors, unexpected, firstProblem);
    }
}
