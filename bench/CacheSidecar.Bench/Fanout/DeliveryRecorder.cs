using HdrHistogram;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Delivery delays (µs, from the publisher's intended send time to the moment a subscriber's read returned the
/// bytes) of one run, recorded from any thread, apart for messages that reached the subscriber's node over the
/// cluster bus (published on another node) and those published on the node itself. One histogram per thread:
/// HdrHistogram is not thread-safe, a lock per message would serialise thousands of sockets' completions, and one
/// histogram per connection (up to 3,000) would cost hundreds of megabytes; the thread pool's few threads' are
/// merged at the end.
/// </summary>
internal sealed class DeliveryRecorder : IDisposable
{
    /// <summary>Delays above a minute are recorded as a minute: by then the run has failed anyway.</summary>
    public const long HighestMicroseconds = 60_000_000;

    private readonly ThreadLocal<LongHistogram> _sameNode = new(Create, trackAllValues: true);
    private readonly ThreadLocal<LongHistogram> _viaBus = new(Create, trackAllValues: true);

    public void Record(long microseconds, bool viaBus) =>
        (viaBus ? _viaBus : _sameNode).Value!.RecordValue(Math.Clamp(microseconds, 1, HighestMicroseconds));

    /// <summary>Every delivery's delay; call once the subscribers have stopped recording.</summary>
    public LongHistogram MergeAll() => Merge(_sameNode.Values.Concat(_viaBus.Values));

    /// <summary>The delays of messages published on the subscriber's own node.</summary>
    public LongHistogram MergeSameNode() => Merge(_sameNode.Values);

    /// <summary>The delays of messages that crossed the cluster bus (the classic channel's other nodes).</summary>
    public LongHistogram MergeViaBus() => Merge(_viaBus.Values);

    public void Dispose()
    {
        _sameNode.Dispose();
        _viaBus.Dispose();
    }

    private static LongHistogram Create() => new(HighestMicroseconds, 3);

    private static LongHistogram Merge(IEnumerable<LongHistogram> histograms)
    {
        var merged = Create();
        foreach (var histogram in histograms)
        {
            merged.Add(histogram);
        }

        return merged;
    }
}
