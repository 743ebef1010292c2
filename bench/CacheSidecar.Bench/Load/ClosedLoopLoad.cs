using System.Diagnostics;
using HdrHistogram;

namespace CacheSidecar.Bench.Load;

/// <summary>
/// One call of a scenario. <paramref name="sequence"/> counts up across all callers (use it to pick
/// the key); returns false when the answer was not the expected one (e.g. a Get that missed).
/// </summary>
internal delegate ValueTask<bool> Operation(long sequence, CancellationToken cancellationToken);

/// <summary>
/// Closed-loop load: N callers, each issuing its next call as soon as the previous one returns. So the
/// offered load adapts to the server, and ops/s with N in flight is the throughput at that concurrency.
/// </summary>
internal static class ClosedLoopLoad
{
    // Latencies are recorded in Stopwatch ticks; anything longer than this is clamped (and shows as max).
    private static readonly long HighestTrackableTicks = Stopwatch.Frequency * 60;

    /// <summary>
    /// Runs <paramref name="concurrency"/> callers for <paramref name="warmUp"/> (JIT, connection pools,
    /// Redis script cache; not recorded), then for <paramref name="duration"/>, recording every call
    /// that completes inside the measured window.
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        string name, int concurrency, TimeSpan warmUp, TimeSpan duration, Operation operation, CancellationToken cancellationToken)
    {
        var run = new RunState(name);
        var start = Stopwatch.GetTimestamp();
        var window = new Window(start + Ticks(warmUp), start + Ticks(warmUp) + Ticks(duration));
        var callers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(() => CallerAsync(run, window, operation, cancellationToken), cancellationToken))
            .ToArray();
        var histograms = await Task.WhenAll(callers);

        var merged = new LongHistogram(HighestTrackableTicks, 3);
        foreach (var histogram in histograms)
        {
            merged.Add(histogram);
        }

        return new LoadResult(name, merged, duration, run.Completed, run.Errors, run.Unexpected, run.FirstProblem);
    }

    /// <summary>
    /// Issues <paramref name="count"/> calls (sequence 0..count-1) with <paramref name="concurrency"/>
    /// callers, e.g. to fill a backlog. Any failed or unexpected call fails the step.
    /// </summary>
    public static async Task<TimeSpan> RunCountAsync(
        string name, int concurrency, int count, Operation operation, CancellationToken cancellationToken)
    {
        long next = -1;
        var clock = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(async () =>
        {
            for (var sequence = Interlocked.Increment(ref next); sequence < count; sequence = Interlocked.Increment(ref next))
            {
                bool ok;
                try
                {
                    ok = await operation(sequence, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new BenchFailedException($"{name}: call {sequence} failed: {ex.Message}", ex);
                }

                if (!ok)
                {
                    throw new BenchFailedException($"{name}: call {sequence} returned an unexpected answer.");
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(callers);
        return clock.Elapsed;
    }

    private static async Task<LongHistogram> CallerAsync(RunState run, Window window, Operation operation, CancellationToken cancellationToken)
    {
        var histogram = new LongHistogram(HighestTrackableTicks, 3);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sequence = run.NextSequence();
            var started = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = await operation(sequence, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                run.RecordError(ex);
                ok = true; // counted as an error, not also as unexpected
            }

            var finished = Stopwatch.GetTimestamp();
            run.CountCompleted();
            if (!ok)
            {
                run.RecordUnexpected(sequence);
            }

            // Completed inside the window: counts towards ops/s and the percentiles.
            if (finished >= window.Start && finished < window.End)
            {
                histogram.RecordValue(Math.Min(finished - started, HighestTrackableTicks));
            }

            if (finished >= window.End)
            {
                return histogram;
            }
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private readonly record struct Window(long Start, long End);

    /// <summary>Counters shared by the callers of one run.</summary>
    private sealed class RunState(string name)
    {
        private long _sequence = -1;
        private long _completed;
        private long _errors;
        private long _unexpected;
        private string? _firstProblem;

        public long Completed => Interlocked.Read(ref _completed);

        public long Errors => Interlocked.Read(ref _errors);

        public long Unexpected => Interlocked.Read(ref _unexpected);

        public string? FirstProblem => Volatile.Read(ref _firstProblem);

        public long NextSequence() => Interlocked.Increment(ref _sequence);

        public void CountCompleted() => Interlocked.Increment(ref _completed);

        public void RecordError(Exception ex)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstProblem, $"{name}: {ex.GetType().Name}: {ex.Message}", null);
        }

        public void RecordUnexpected(long sequence)
        {
            Interlocked.Increment(ref _unexpected);
            Interlocked.CompareExchange(ref _firstProblem, $"{name}: call {sequence} returned an unexpected answer", null);
        }
    }
}
