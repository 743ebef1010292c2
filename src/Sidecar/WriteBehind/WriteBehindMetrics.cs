using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Write-behind instruments on the <c>CacheSidecar</c> meter (names are documented in
/// docs/write-behind.md; every instrument carries a <c>namespace</c> tag). The backlog gauges
/// report the last sample a flusher took, so reading metrics never calls Redis.
/// </summary>
internal sealed class WriteBehindMetrics
{
    public const string MeterName = "CacheSidecar";

    private readonly ConcurrentDictionary<string, (long Length, double OldestAgeSeconds)> _backlog =
        new(StringComparer.Ordinal);
    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _rejectedFull;
    private readonly Counter<long> _flushed;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _reclaimed;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _flushDuration;

    public WriteBehindMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _enqueued = meter.CreateCounter<long>(
            "cachesidecar.writebehind.enqueued",
            "{write}",
            "Writes acknowledged into the write-behind log");
        _rejectedFull = meter.CreateCounter<long>(
            "cachesidecar.writebehind.backlog_full",
            "{write}",
            "Writes refused with RESOURCE_EXHAUSTED because the backlog was at MaxBacklog");
        _flushed = meter.CreateCounter<long>(
            "cachesidecar.writebehind.flushed",
            "{document}",
            "Documents written to (or deleted from) the store by flushers");
        _retries = meter.CreateCounter<long>(
            "cachesidecar.writebehind.retries",
            "{retry}",
            "Flush rounds retried after the store or Redis failed");
        _deadLettered = meter.CreateCounter<long>(
            "cachesidecar.writebehind.dead_lettered",
            "{write}",
            "Writes moved to the dead-letter stream after MaxAttempts refusals");
        _reclaimed = meter.CreateCounter<long>(
            "cachesidecar.writebehind.reclaimed",
            "{entry}",
            "Log entries taken over from silent flushers");
        _batchSize = meter.CreateHistogram<int>(
            "cachesidecar.writebehind.flush.batch_size",
            "{document}",
            "Documents per store bulk write");
        _flushDuration = meter.CreateHistogram(
            "cachesidecar.writebehind.flush.duration",
            "s",
            "Duration of one store bulk write",
            tags: null,
            advice: Telemetry.SidecarMetrics.DurationBuckets);
        meter.CreateObservableGauge(
            "cachesidecar.writebehind.backlog",
            () => Observe(b => b.Length),
            "{write}",
            "Acknowledged writes not yet flushed to the store");
        meter.CreateObservableGauge(
            "cachesidecar.writebehind.oldest_pending_age",
            () => Observe(b => b.OldestAgeSeconds),
            "s",
            "Age of the oldest unflushed write");
    }

    public void Enqueued(string ns) => _enqueued.Add(1, Tag(ns));

    public void BacklogFull(string ns) => _rejectedFull.Add(1, Tag(ns));

    public void Flushed(string ns, int documents) => _flushed.Add(documents, Tag(ns));

    public void Retried(string ns) => _retries.Add(1, Tag(ns));

    public void DeadLettered(string ns) => _deadLettered.Add(1, Tag(ns));

    public void Reclaimed(string ns, int entries) => _reclaimed.Add(entries, Tag(ns));

    public void Batch(string ns, int documents, TimeSpan duration)
    {
        _batchSize.Record(documents, Tag(ns));
        _flushDuration.Record(duration.TotalSeconds, Tag(ns));
    }

    public void BacklogSampled(string ns, long length, TimeSpan oldestAge) =>
        _backlog[ns] = (length, oldestAge.TotalSeconds);

    /// <summary>The last sampled backlog of a namespace (for health and tests).</summary>
    public long? LastBacklog(string ns) => _backlog.TryGetValue(ns, out var sample) ? sample.Length : null;

    private static KeyValuePair<string, object?> Tag(string ns) => new("namespace", ns);

    private IEnumerable<Measurement<T>> Observe<T>(Func<(long Length, double OldestAgeSeconds), T> select)
        where T : struct =>
        _backlog.Select(pair => new Measurement<T>(select(pair.Value), Tag(pair.Key)));
}
