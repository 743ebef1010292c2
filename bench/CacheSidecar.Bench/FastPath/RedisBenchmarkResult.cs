namespace CacheSidecar.Bench.FastPath;

/// <summary>What one redis-benchmark run measured, and how its answers were checked.</summary>
/// <param name="Command">The command line as run.</param>
/// <param name="NotMeasured">Why there is no number (missing, failed, answers not hits), or null.</param>
/// <param name="Requests">Requests sent (<c>-n</c>).</param>
/// <param name="RequestsPerSecond">redis-benchmark's own rate.</param>
/// <param name="MeanMicroseconds">Its mean latency.</param>
/// <param name="P50Microseconds">Its p50.</param>
/// <param name="P99Microseconds">Its p99.</param>
/// <param name="KeyspaceHits">redis-server's <c>keyspace_hits</c> delta over the run.</param>
/// <param name="KeyspaceMisses">redis-server's <c>keyspace_misses</c> delta: about 0 when every GET found its 1 KB value.</param>
/// <param name="DriverCpu">CPU time redis-benchmark used (sampled from /proc every 50 ms).</param>
/// <param name="RedisCpu">CPU time redis-server used over the run.</param>
internal sealed record RedisBenchmarkResult(
    string Command,
    string? NotMeasured,
    long Requests = 0,
    double RequestsPerSecond = double.NaN,
    double MeanMicroseconds = double.NaN,
    double P50Microseconds = double.NaN,
    double P99Microseconds = double.NaN,
    double KeyspaceHits = 0,
    double KeyspaceMisses = 0,
    TimeSpan? DriverCpu = null,
    TimeSpan? RedisCpu = null)
{
    public const string InstallHint = "apt-get install -y redis-tools";

    /// <summary>
    /// Redis counted at least as many hits as requests were sent, and (almost) no misses: the sidecar's
    /// background work (flusher polls) may look up a missing key now and then, a GET of a missing key
    /// would show as one miss per request.
    /// </summary>
    public bool Verified => NotMeasured is null && KeyspaceHits >= Requests && KeyspaceMisses * 1000 <= Requests;

    public TimeSpan? DriverCpuPerCall => DriverCpu is { } cpu && Requests > 0 ? cpu / Requests : null;

    public TimeSpan? RedisCpuPerCall => RedisCpu is { } cpu && Requests > 0 ? cpu / Requests : null;
}
