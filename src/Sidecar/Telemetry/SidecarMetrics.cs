using System.Diagnostics.Metrics;

namespace CacheSidecar.Telemetry;

/// <summary>
/// The request-path instruments on the <c>CacheSidecar</c> meter (write-behind has its own,
/// <see cref="WriteBehind.WriteBehindMetrics"/>). Names and tags are documented in
/// docs/operations.md; values and keys never become tags.
/// </summary>
internal sealed class SidecarMetrics
{
    public const string MeterName = "CacheSidecar";

    /// <summary>Seconds, from 100 µs (a cache hit) to 10 s (a store timeout); OpenTelemetry's default buckets assume milliseconds.</summary>
    public static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly Histogram<double> _rpcDuration;
    private readonly Counter<long> _reads;
    private readonly Histogram<double> _storeDuration;
    private readonly Histogram<double> _redisDuration;
    private Func<int>? _circuitState;

    public SidecarMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _rpcDuration = meter.CreateHistogram("cachesidecar.rpc.duration", "s", "Duration of each RPC, by rpc, namespace and gRPC status", tags: null, advice: DurationBuckets);
        _reads = meter.CreateCounter<long>("cachesidecar.reads", "{key}", "Keys read, by namespace, where the answer came from (cache, pending, store) and whether a value was found");
        _storeDuration = meter.CreateHistogram("cachesidecar.store.duration", "s", "Duration of store (MongoDB/SQLite) calls, by operation and outcome", tags: null, advice: DurationBuckets);
        _redisDuration = meter.CreateHistogram("cachesidecar.redis.duration", "s", "Duration of Redis steps, by outcome", tags: null, advice: DurationBuckets);
        meter.CreateObservableGauge("cachesidecar.redis.circuit_state", () => _circuitState?.Invoke() ?? 0, "{state}", "Redis circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated");
    }

    public void Rpc(string rpc, string ns, Grpc.Core.StatusCode status, TimeSpan duration) =>
        _rpcDuration.Record(duration.TotalSeconds, new("rpc", rpc), new("namespace", ns), new("status", status.ToString()));

    public void Read(string ns, Strategies.ReadSource source, bool found) =>
        _reads.Add(1, new("namespace", ns), new("source", source.ToString().ToLowerInvariant()), new("found", found));

    public void StoreCall(string operation, bool ok, TimeSpan duration) =>
        _storeDuration.Record(duration.TotalSeconds, new("operation", operation), new("outcome", ok ? "ok" : "error"));

    public void RedisCall(bool ok, TimeSpan duration) =>
        _redisDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));

    /// <summary>The Redis tier hands over its breaker's state when it is created.</summary>
    public void ObserveCircuit(Func<int> state) => _circuitState = state;
}
