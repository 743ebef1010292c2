using HdrHistogram;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Delivery delays (µs, from the publisher's intended send time to the moment a subscriber's read returned the
/// bytes) of one run, recorded from any thread. One histogram per thread: HdrHistogram is not thread-safe, a lock
/// per message would serialise thousands of sockets' completions, and one histogram per connection (up to 3,000)
/// would cost hundreds of megabytes. Threads are the thread pool's few, so their histograms are merged at the end.
/// </summary>
internal sealed class DeliveryRecorder : IDisposable
{
    /// <summary>Delays above a minute are recorded as a minute: by then the run has failed anyway.</summary>
    public const long HighestMicroseconds = 60_000_000;

    private readonly ThreadLocal<LongHistogram> _histograms =
        new(() => new LongHistogram(HighestMicroseconds, 3), trackAllValues: true);

    public void Record(long microseconds) =>
        _histograms.Value!.RecordValue(Math.Clamp(microseconds, 1, HighestMicroseconds));

    /// <summary>All threads' delays together; call once the subscribers have stopped recording.</summary>
    public LongHistogram Merge()
    {
        var merged = new LongHistogram(HighestMicroseconds, 3);
        foreach (var histogram in _histograms.Values)
        {
            merged.Add(histogram);
        }

        return merged;
    }

    public void Dispose() => _histograms.Dispose();
}
