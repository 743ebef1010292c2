using System.Diagnostics.Metrics;

namespace CacheSidecar.Client.NearCache;

/// <summary>
/// The near cache's instruments, on the meter <c>CacheSidecar.Client</c> (System.Diagnostics.Metrics, so
/// OpenTelemetry or <c>dotnet-counters</c> pick them up): hits, misses, invalidated keys, whole clears by reason,
/// and entries and bytes held per namespace.
/// </summary>
internal sealed class NearCacheMetrics : IDisposable
{
    public const string MeterName = "CacheSidecar.Client";

    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _invalidated;
    private readonly Counter<long> _clears;

    public NearCacheMetrics(IMeterFactory? meterFactory, Func<IEnumerable<NamespaceNearCache>> caches)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _hits = _meter.CreateCounter<long>("cachesidecar.client.near_cache.hits", "{read}",
            "Reads answered from the in-process near cache");
        _misses = _meter.CreateCounter<long>("cachesidecar.client.near_cache.misses", "{read}",
            "Reads of a near-cached namespace that went to the sidecar");
        _invalidated = _meter.CreateCounter<long>("cachesidecar.client.near_cache.invalidated_keys", "{key}",
            "Keys dropped because the sidecar streamed their invalidation");
        _clears = _meter.CreateCounter<long>("cachesidecar.client.near_cache.clears", "{clear}",
            "Whole near-cache clears, by reason (synced, reset, stream_lost, gap, namespace, tags)");
        _meter.CreateObservableGauge("cachesidecar.client.near_cache.entries",
            () => caches().Select(c => new Measurement<long>(c.Count, Tag(c.Namespace))), "{entry}",
            "Entries held, by namespace");
        _meter.CreateObservableGauge("cachesidecar.client.near_cache.bytes",
            () => caches().Select(c => new Measurement<long>(c.ChargedBytes, Tag(c.Namespace))), "By",
            "Bytes charged (each entry at least MaxBytes / MaxEntries), by namespace");
    }

    public void Hit(string ns) => _hits.Add(1, Tag(ns));

    public void Miss(string ns) => _misses.Add(1, Tag(ns));

    public void Invalidated(string ns, int keys) => _invalidated.Add(keys, Tag(ns));

    public void Cleared(string ns, string reason) =>
        _clears.Add(1, new KeyValuePair<string, object?>("namespace", ns), new("reason", reason));

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string ns) => new("namespace", ns);
}
