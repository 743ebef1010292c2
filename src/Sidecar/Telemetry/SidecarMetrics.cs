using System.Diagnostics.Metrics;

namespace CacheSidecar.Telemetry;

/// <summary>
/// The request-path instruments on the <c>CacheSidecar</c> meter (write-behind has its own,
/// WriteBehindMetrics). Names and tags are documented in
/// docs/operations.md; values and keys never become tags.
/// </summary>
internal sealed class SidecarMetrics
{
    public const string MeterName = "CacheSidecar";

    /// <summary>
    /// Seconds, from 100 µs (a cache hit) to 10 s (a store timeout); OpenTelemetry's default buckets
    /// assume milliseconds.
    /// </summary>
    public static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries =
        [
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
        ],
    };

    private readonly Histogram<double> _rpcDuration;
    private readonly Counter<long> _reads;
    private readonly Histogram<double> _storeDuration;
    private readonly Histogram<double> _redisDuration;
    private readonly Counter<long> _nearCacheInvalidations;
    private readonly Counter<long> _nearCacheClears;
    private Func<int>? _circuitState;
    private Func<IEnumerable<Measurement<long>>>? _nearCacheEntries;
    private Func<IEnumerable<Measurement<long>>>? _nearCacheBytes;
    private Func<IEnumerable<Measurement<long>>>? _watchers;

    public SidecarMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _rpcDuration = meter.CreateHistogram(
            "cachesidecar.rpc.duration",
            "s",
            "Duration of each RPC, by rpc, namespace and gRPC status",
            tags: null,
            advice: DurationBuckets);
        _reads = meter.CreateCounter<long>(
            "cachesidecar.reads",
            "{key}",
            "Keys read, by namespace, where the answer came from (cache, pending, store) "
                + "and whether a value was found");
        _storeDuration = meter.CreateHistogram(
            "cachesidecar.store.duration",
            "s",
            "Duration of store (MongoDB/SQLite) calls, by operation and outcome",
            tags: null,
            advice: DurationBuckets);
        _redisDuration = meter.CreateHistogram(
            "cachesidecar.redis.duration",
            "s",
            "Duration of Redis steps, by outcome",
            tags: null,
            advice: DurationBuckets);
        meter.CreateObservableGauge(
            "cachesidecar.redis.circuit_state",
            () => _circuitState?.Invoke() ?? 0,
            "{state}",
            "Redis circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated");
        _nearCacheInvalidations = meter.CreateCounter<long>(
            "cachesidecar.near_cache.invalidations",
            "{message}",
            "Near-cache invalidation messages received from Redis pub/sub, by namespace");
        _nearCacheClears = meter.CreateCounter<long>(
            "cachesidecar.near_cache.clears",
            "{clear}",
            "Whole near-cache clears, by namespace and reason "
                + "(gap, behind, disconnected, check_failed, namespace_invalidated)");
        meter.CreateObservableGauge(
            "cachesidecar.near_cache.entries",
            () => _nearCacheEntries?.Invoke() ?? [],
            "{entry}",
            "Entries held in the near-cache, by namespace");
        meter.CreateObservableGauge(
            "cachesidecar.near_cache.bytes",
            () => _nearCacheBytes?.Invoke() ?? [],
            "By",
            "Bytes charged to the near-cache (each entry at least MaxBytes / MaxEntries), by namespace");
        meter.CreateObservableGauge(
            "cachesidecar.invalidation_watchers",
            () => _watchers?.Invoke() ?? [],
            "{stream}",
            "Open WatchInvalidations streams, by namespace");
    }

    public void Rpc(string rpc, string ns, Grpc.Core.StatusCode status, TimeSpan duration) =>
        _rpcDuration.Record(
            duration.TotalSeconds, new("rpc", rpc), new("namespace", ns), new("status", status.ToString()));

    /// <param name="source">Where the answer came from: a constant label (cache, near_cache, pending, store), so
    /// no string is built per call on every request's path.</param>
    public void Read(string ns, string source, bool found) =>
        _reads.Add(1, new("namespace", ns), new("source", source), new("found", found));

    public void NearCacheInvalidation(string ns) =>
        _nearCacheInvalidations.Add(1, new KeyValuePair<string, object?>("namespace", ns));

    public void NearCacheCleared(string ns, string reason) =>
        _nearCacheClears.Add(1, new("namespace", ns), new("reason", reason));

    /// <summary>The near-cache hands over its per-namespace sizes when it is created.</summary>
    public void ObserveNearCache(Func<IEnumerable<Measurement<long>>> entries,
        Func<IEnumerable<Measurement<long>>> bytes)
    {
        _nearCacheEntries = entries;
        _nearCacheBytes = bytes;
    }

    /// <summary>The invalidation bus hands over its per-namespace watcher counts.</summary>
    public void ObserveWatchers(Func<IEnumerable<Measurement<long>>> watchers) => _watchers = watchers;

    public void StoreCall(string operation, bool ok, TimeSpan duration) =>
        _storeDuration.Record(duration.TotalSeconds, new("operation", operation), new("outcome", ok ? "ok" : "error"));

    public void RedisCall(bool ok, TimeSpan duration) =>
        _redisDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));

    /// <summary>The Redis tier hands over its breaker's state when it is created.</summary>
    public void ObserveCircuit(Func<int> state) => _circuitState = state;
}
