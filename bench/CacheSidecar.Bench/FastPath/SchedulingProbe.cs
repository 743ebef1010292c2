using System.Diagnostics;
using CacheSidecar.Bench.Load;
using HdrHistogram;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// Measures this process's thread-pool scheduling delay while a run goes on: a dedicated thread queues
/// one work item every 2 ms and the item records how long it waited. The calls' continuations (gRPC and
/// StackExchange.Redis answers) wait in the same queue, so a delay here is load-generator time inside
/// every latency. 500 probes a second cost a few µs each: small next to the runs' own work.
/// </summary>
internal sealed class SchedulingProbe : IDisposable
{
    private static readonly long Interval = Stopwatch.Frequency / 500;

    private readonly LongHistogram _delays = new(Stopwatch.Frequency * 60, 3);
    private readonly Lock _gate = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public SchedulingProbe()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "scheduling probe" };
        _thread.Start();
    }

    /// <summary>Stops the probe and returns the delays seen so far.</summary>
    public SchedulingDelay Stop()
    {
        _stopping = true;
        _thread.Join();
        lock (_gate)
        {
            return _delays.TotalCount == 0
                ? SchedulingDelay.None
                : new SchedulingDelay(_delays.TotalCount, Micros(_delays.GetValueAtPercentile(90)), Micros(_delays.GetValueAtPercentile(99)), Micros(_delays.GetMaxValue()));
        }
    }

    public void Dispose()
    {
        if (!_stopping)
        {
            _ = Stop();
        }
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private void Loop()
    {
        Pacer.TightenTimerSlack();
        var next = Stopwatch.GetTimestamp();
        while (!_stopping)
        {
            next += Interval;
            Pacer.SleepUntil(next);
            ThreadPool.UnsafeQueueUserWorkItem(
                static state =>
                {
                    var (probe, queued) = state;
                    var delay = Stopwatch.GetTimestamp() - queued;
                    lock (probe._gate)
                    {
                        probe._delays.RecordValue(Math.Clamp(delay, 0, Stopwatch.Frequency * 60));
                    }
                },
                (this, Stopwatch.GetTimestamp()),
                preferLocal: false);
        }
    }
}
