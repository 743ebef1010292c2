using HdrHistogram;

namespace CacheSidecar.Bench.FastPath;

/// <summary>What h2load measured against one sidecar method, and how it was checked.</summary>
/// <param name="Command">The h2load command line as run.</param>
/// <param name="NotMeasured">Why there is no number (h2load missing, failed), or null.</param>
/// <param name="RequestsPerSecond">h2load's own req/s (measured duration only).</param>
/// <param name="Succeeded">Requests h2load counted as succeeded (HTTP 2xx), measured duration only.</param>
/// <param name="Failed">Failed + errored + timed-out requests.</param>
/// <param name="MeanMicroseconds">h2load's "time for request" mean.</param>
/// <param name="Latencies">Per-request durations from h2load's <c>--log-file</c>, µs; null when the log was not usable.</param>
/// <param name="LoggedNon200">Rows of the log whose status was not 200.</param>
/// <param name="ServerOkCalls">Get calls in the Get-hit namespace the sidecar counted with status OK while h2load ran (warm-up included).</param>
/// <param name="ServerCacheHits">Keys the sidecar counted as read from the cache and found in that namespace while h2load ran (NaN for a method that reads nothing).</param>
/// <param name="ServerOtherCalls">Calls of the method that ended with another status than OK or CANCELLED.</param>
/// <param name="ServerCancelledCalls">Calls that ended CANCELLED: h2load resets the streams still open when its duration ends (at most one per stream, <c>-m</c>).</param>
/// <param name="Streams">h2load's <c>-m</c>.</param>
/// <param name="LoggedRows">Rows of h2load's per-request log.</param>
/// <param name="ClientCheck">The same key read with the normal gRPC client after the run: found with source CACHE.</param>
/// <param name="H2LoadCpu">CPU time h2load used (sampled from /proc every 50 ms while it ran: the last ≤ 50 ms may be missing).</param>
/// <param name="SidecarCpu">CPU time the sidecar used over the h2load run.</param>
internal sealed record H2LoadResult(
    string Command,
    string? NotMeasured,
    double RequestsPerSecond = 0,
    long Succeeded = 0,
    long Failed = 0,
    double MeanMicroseconds = double.NaN,
    LongHistogram? Latencies = null,
    long LoggedNon200 = 0,
    double ServerOkCalls = 0,
    double ServerCacheHits = 0,
    double ServerOtherCalls = 0,
    long LoggedRows = 0,
    bool ClientCheck = false,
    TimeSpan? H2LoadCpu = null,
    TimeSpan? SidecarCpu = null,
    double ServerCancelledCalls = 0,
    int Streams = 0)
{
    /// <summary>h2load's CPU per call, over every call it made (warm-up included, as counted by the sidecar).</summary>
    public TimeSpan? H2LoadCpuPerCall => H2LoadCpu is { } cpu && ServerOkCalls > 0 ? cpu / ServerOkCalls : null;

    public TimeSpan? SidecarCpuPerCall => SidecarCpu is { } cpu && ServerOkCalls > 0 ? cpu / ServerOkCalls : null;

    public const string InstallHint = "apt-get install -y nghttp2-client";

    public double PercentileMicroseconds(double percentile) =>
        Latencies is null || Latencies.TotalCount == 0 ? double.NaN : Latencies.GetValueAtPercentile(percentile);

    public double MaxMicroseconds => Latencies is null || Latencies.TotalCount == 0 ? double.NaN : Latencies.GetMaxValue();
}
