namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// The sidecar's change-stream series on <c>/metrics</c>: the Prometheus names its OpenTelemetry
/// instruments get (unit suffix <c>_seconds</c>, counters <c>_total</c>).
/// </summary>
internal static class ChangeStreamMetricNames
{
    /// <summary><c>cachesidecar.changestream.lag</c>: commit (wallTime) → invalidation applied in Redis.</summary>
    public const string LagBucket = "cachesidecar_changestream_lag_seconds_bucket";

    public const string LagSum = "cachesidecar_changestream_lag_seconds_sum";

    public const string LagCount = "cachesidecar_changestream_lag_seconds_count";

    /// <summary><c>cachesidecar.changestream.changes</c> by <c>outcome</c> (invalidated or skipped).</summary>
    public const string Changes = "cachesidecar_changestream_changes_total";

    /// <summary><c>cachesidecar.changestream.watching</c>: 1 while this instance holds the lease.</summary>
    public const string Watching = "cachesidecar_changestream_watching";
}
