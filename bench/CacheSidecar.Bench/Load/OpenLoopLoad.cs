using System.Diagnostics;
using HdrHistogram;

namespace CacheSidecar.Bench.Load;

/// <summary>What one open-loop run measured.</summary>
/// <param name="Name">Scenario label.</param>
/// <param name="OfferedRate">Calls per second scheduled.</param>
/// <param name="Latencies">Per call, completion minus its <em>intended</em> send time (Stopwatch ticks), for calls scheduled inside the measured window.</param>
/// <param name="SendLateness">Per call, actual send minus intended send time: how late the pacer (and the in-flight bound) sent it.</param>
/// <param name="Window">Length of the measured window.</param>
/// <param name="CompletedInWindow">Calls that completed inside the measured window (any schedule time): the achieved rate's numerator.</param>
/// <param name="Errors">Calls that threw, answered unexpectedly, never completed, or were never sent (measured window only).</param>
/// <param name="NotSent">Scheduled calls the run gave up sending because it was too far behind (counted in errors, recorded at their lower-bound latency).</param>
/// <param name="FirstProblem">The first error, for the report.</param>
/// <param name="WaitedForInFlight">Measured calls whose send had to wait because <see cref="OpenLoopLoad.MaxInFlight"/> calls were already in flight.</param>
internal sealed record OpenLoopResult(
    string Name,
    int OfferedRate,
    LongHistogram Latencies,
    LongHistogram SendLateness,
    TimeSpan Window,
    long CompletedInWindow,
    long Errors,
    long NotSent,
    string? FirstProblem,
    long WaitedForInFlight)
{
    /// <summary>Below this share of the offered rate a run "did not keep up".</summary>
    public const double KeepUpShare = 0.90;

    /// <summary>Above this share of sends that found the in-flight bound full, a run "did not keep up": a queue was building.</summary>
    public const double QueueingShare = 0.01;

    public double AchievedRate => CompletedInWindow / Window.TotalSeconds;

    public double WaitedShare => Measured == 0 ? 0 : (double)WaitedForInFlight / Measured;

    /// <summary>
    /// The server (and the client) completed at least 90 % of the offered rate, nothing was left unsent,
    /// and at most 1 % of the sends found <see cref="OpenLoopLoad.MaxInFlight"/> calls still in flight —
    /// otherwise answers come slower than calls arrive and latency only grows with the run's length.
    /// </summary>
    public bool KeptUp => AchievedRate >= KeepUpShare * OfferedRate && NotSent == 0 && WaitedShare <= QueueingShare;

    public long Measured => Latencies.TotalCount;

    public double PercentileMicroseconds(double percentile) =>
        Measured == 0 ? double.NaN : Latencies.GetValueAtPercentile(percentile) * 1_000_000.0 / Stopwatch.Frequency;

    public double MaxMicroseconds => Measured == 0 ? double.NaN : Latencies.GetMaxValue() * 1_000_000.0 / Stopwatch.Frequency;

    public double LatenessMicroseconds(double percentile) =>
        SendLateness.TotalCount == 0 ? double.NaN : SendLateness.GetValueAtPercentile(percentile) * 1_000_000.0 / Stopwatch.Frequency;
}

/// <summary>
/// Open-loop load (Dapr's, fortio's and wrk2's method): calls are scheduled at a fixed rate — call i
/// is due at start + i / rate — and sent when due whether or not earlier calls have returned. Each
/// call's latency is measured from its <em>intended</em> send time, so a stall delays (and is charged
/// to) every call scheduled during it instead of silently lowering the send rate: free of coordinated
/// omission. One dedicated thread paces the sends (<see cref="Pacer"/>).
/// </summary>
internal static class OpenLoopLoad
{
    private static readonly long HighestTrackableTicks = Stopwatch.Frequency * 60;

    /// <summary>
    /// Calls in flight at most; beyond it the pacer waits, and the wait is charged to the calls' latency
    /// (their intended times do not move). 100 is Kestrel's stream limit per HTTP/2 connection: beyond it
    /// the gRPC client would open more connections, so an overloaded step would measure a different
    /// set-up than the rest (and a client-side queue of thousands of calls).
    /// </summary>
    public const int MaxInFlight = 100;

    public static async Task<OpenLoopResult> RunAsync(
        string name, int rate, TimeSpan warmUp, TimeSpan duration, Operation operation, CancellationToken cancellationToken)
    {
        var ticksPerCall = (double)Stopwatch.Frequency / rate;
        var warmUpCalls = (long)(warmUp.TotalSeconds * rate);
        var measuredCalls = (long)(duration.TotalSeconds * rate);
        var allDispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100; // 10 ms to get the thread going
        var windowStart = start + (long)(warmUpCalls * ticksPerCall);
        var windowEnd = windowStart + (long)(measuredCalls * ticksPerCall);
        // Behind schedule, the run keeps sending the calls it owes for this long after the window (and
        // then waits as long again for the last answers): enough to show an overload, bounded in time.
        var overrun = TimeSpan.FromSeconds(Math.Max(2, duration.TotalSeconds));
        var giveUpAt = windowEnd + (long)(overrun.TotalSeconds * Stopwatch.Frequency);
        var run = new RunState(name, overrun);

        var dispatcher = new Thread(() =>
        {
            try
            {
                Pacer.TightenTimerSlack();
                for (long i = 0; i < warmUpCalls + measuredCalls; i++)
                {
                    var intended = start + (long)(i * ticksPerCall);
                    var measured = i >= warmUpCalls;
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    Pacer.SleepUntil(intended);
                    if (Volatile.Read(ref run.InFlight) >= MaxInFlight && measured)
                    {
                        run.CountWaitedForInFlight();
                    }

                    while (Volatile.Read(ref run.InFlight) >= MaxInFlight && Stopwatch.GetTimestamp() < giveUpAt)
                    {
                        Pacer.SleepUntil(Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20_000); // 50 µs
                    }

                    var now = Stopwatch.GetTimestamp();
                    if (now >= giveUpAt)
                    {
                        // Hopelessly behind: what is left is never sent; recorded at the latency it has already accrued.
                        for (var j = i; j < warmUpCalls + measuredCalls; j++)
                        {
                            if (j >= warmUpCalls)
                            {
                                run.RecordNotSent(Math.Max(0, now - (start + (long)(j * ticksPerCall))));
                            }
                        }

                        break;
                    }

                    if (measured)
                    {
                        run.RecordLateness(now - intended);
                    }

                    Interlocked.Increment(ref run.InFlight);
                    _ = CallAsync(run, operation, i, intended, measured, windowStart, windowEnd, cancellationToken);
                }

                allDispatched.TrySetResult();
            }
            catch (Exception ex)
            {
                allDispatched.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = $"open-loop pacer ({name})",
            Priority = ThreadPriority.AboveNormal,
        };
        dispatcher.Start();
        await allDispatched.Task.WaitAsync(cancellationToken);

        // The last calls' answers: wait (bounded) until nothing is in flight.
        while (Volatile.Read(ref run.InFlight) > 0 && Stopwatch.GetTimestamp() < giveUpAt + (long)(overrun.TotalSeconds * Stopwatch.Frequency))
        {
            await Task.Delay(5, cancellationToken);
        }

        var stillInFlight = Volatile.Read(ref run.InFlight);
        return run.Result(rate, duration, stillInFlight);
    }

    private static async Task CallAsync(RunState run, Operation operation, long sequence, long intended, bool measured, long windowStart, long windowEnd, CancellationToken cancellationToken)
    {
        bool ok;
        string? problem = null;
        try
        {
            ok = await operation(sequence, cancellationToken);
            if (!ok)
            {
                problem = $"call {sequence} returned an unexpected answer";
            }
        }
        catch (Exception ex)
        {
            ok = false;
            problem = $"{ex.GetType().Name}: {ex.Message}";
        }

        var finished = Stopwatch.GetTimestamp();
        run.Complete(finished, finished - intended, measured, ok, problem, windowStart, windowEnd);
        Interlocked.Decrement(ref run.InFlight);
    }

    /// <summary>Counters and histograms shared by the pacer and the completions (which run on pool threads).</summary>
    private sealed class RunState(string name, TimeSpan overrun)
    {
        public int InFlight;

        private readonly LongHistogram _latencies = new(HighestTrackableTicks, 3);
        private readonly LongHistogram _lateness = new(HighestTrackableTicks, 3);
        private readonly Lock _gate = new();
        private long _completedInWindow;
        private long _errors;
        private long _notSent;
        private long _waited;
        private string? _firstProblem;
        private bool _closed;

        public void RecordLateness(long ticks)
        {
            lock (_gate)
            {
                _lateness.RecordValue(Math.Clamp(ticks, 0, HighestTrackableTicks));
            }
        }

        public void CountWaitedForInFlight() => Interlocked.Increment(ref _waited);

        public void RecordNotSent(long accruedTicks)
        {
            lock (_gate)
            {
                _latencies.RecordValue(Math.Min(accruedTicks, HighestTrackableTicks));
                _notSent++;
                _errors++;
                _firstProblem ??= $"{name}: scheduled calls not sent (still behind schedule {overrun.TotalSeconds:0} s after the window)";
            }
        }

        public void Complete(long finished, long latency, bool measured, bool ok, string? problem, long windowStart, long windowEnd)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return; // answered after the run gave up on it: already counted as never answered
                }

                if (finished >= windowStart && finished < windowEnd)
                {
                    _completedInWindow++;
                }

                if (!measured)
                {
                    return;
                }

                _latencies.RecordValue(Math.Clamp(latency, 0, HighestTrackableTicks));
                if (!ok)
                {
                    _errors++;
                    _firstProblem ??= $"{name}: {problem}";
                }
            }
        }

        public OpenLoopResult Result(int rate, TimeSpan duration, long stillInFlight)
        {
            lock (_gate)
            {
                _closed = true;
                var errors = _errors + stillInFlight;
                var firstProblem = _firstProblem ?? (stillInFlight > 0 ? $"{name}: {stillInFlight} calls never answered" : null);
                return new OpenLoopResult(name, rate, _latencies, _lateness, duration, _completedInWindow, errors, _notSent, firstProblem, Interlocked.Read(ref _waited));
            }
        }
    }
}
