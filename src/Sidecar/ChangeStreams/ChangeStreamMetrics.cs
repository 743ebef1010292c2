using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CacheSidecar.ChangeStreams;

/// <summary>
/// Change-stream watcher instruments on the <c>CacheSidecar</c> meter (documented in
/// docs/change-streams.md); every instrument carries a <c>namespace</c> tag.
/// </summary>
internal sealed class ChangeStreamMetrics
{
    private readonly ConcurrentDictionary<string, int> _holding = new(StringComparer.Ordinal);
    private readonly Counter<long> _changes;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _resumes;
    private readonly Counter<long> _historyLost;

    public ChangeStreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create("CacheSidecar");
        meter.CreateObservableGauge(
            "cachesidecar.changestream.watching",
            () => _holding.Select(pair => new Measurement<int>(pair.Value, new KeyValuePair<string, object?>(
                "namespace", pair.Key))),
            "{watcher}",
            "1 while this instance holds the namespace's watcher lease and follows its change stream, else 0");
        _changes = meter.CreateCounter<long>(
            "cachesidecar.changestream.changes",
            "{change}",
            "Store changes applied; outcome=invalidated (dropped from the cache) or skipped (the cache already "
                + "held that version: the sidecar's own write)");
        _lag = meter.CreateHistogram(
            "cachesidecar.changestream.lag",
            "s",
            "From the store's commit of a change to its invalidation in Redis",
            advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries =
                    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            });
        _resumes = meter.CreateCounter<long>(
            "cachesidecar.changestream.resumes",
            "{resume}",
            "Times a watcher (re)opened the stream from a saved resume token");
        _historyLost = meter.CreateCounter<long>(
            "cachesidecar.changestream.history_lost",
            "{event}",
            "Resume tokens no longer in the store's history (or the collection replaced): the namespace "
                + "was invalidated as a whole");
    }

    public void Watching(string ns, bool holding) => _holding[ns] = holding ? 1 : 0;

    public void Applied(string ns, bool invalidated, TimeSpan lag)
    {
        var tag = new KeyValuePair<string, object?>("namespace", ns);
        _changes.Add(1, tag, new KeyValuePair<string, object?>("outcome", invalidated ? "invalidated" : "skipped"));
        _lag.Record(Math.Max(0, lag.TotalSeconds), tag);
    }

    public void Resumed(string ns) => _resumes.Add(1, new KeyValuePair<string, object?>("namespace", ns));

    public void HistoryLost(string ns) => _historyLost.Add(1, new KeyValuePair<string, object?>("namespace", ns));
}
