using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// Reads the possible sources of a 1,000 req/s run's tail around it: the sidecar's runtime and its own
/// duration histograms from <c>/metrics</c> (before and after, nothing during the run), this process's
/// GC, and its thread-pool scheduling delay (<see cref="SchedulingProbe"/>, during the run).
/// </summary>
internal sealed class TailProbe : IDisposable
{
    private readonly SidecarProcess? _sidecar;
    private readonly PrometheusText? _before;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly int _benchCollections = Collections();
    private readonly TimeSpan _benchPause = GC.GetTotalPauseDuration();
    private readonly SchedulingProbe _scheduling = new();

    private TailProbe(SidecarProcess? sidecar, PrometheusText? before)
    {
        _sidecar = sidecar;
        _before = before;
    }

    /// <summary><paramref name="sidecar"/>: the sidecar the run calls, or null for the direct-Redis row.</summary>
    /// <summary>The sidecar's metrics before the run; null for the direct-Redis row.</summary>
    public PrometheusText? Before => _before;

    /// <summary>The sidecar's metrics after the run (set by <see cref="StopAsync"/>); null for the direct-Redis row.</summary>
    public PrometheusText? After { get; private set; }

    public static async Task<TailProbe> StartAsync(SidecarProcess? sidecar, CancellationToken cancellationToken) =>
        new(sidecar, sidecar is null ? null : await sidecar.ScrapeMetricsAsync(cancellationToken));

    /// <param name="scheduledCalls">Calls the run scheduled, warm-up included (for work items per call).</param>
    /// <param name="rpcLabels">Labels of the RPC's series of <c>cachesidecar.rpc.duration</c>.</param>
    public async Task<TailSample> StopAsync(long scheduledCalls, string[] rpcLabels, CancellationToken cancellationToken)
    {
        var scheduling = _scheduling.Stop();
        var window = Stopwatch.GetElapsedTime(_started);
        var benchCollections = Collections() - _benchCollections;
        var benchPause = (GC.GetTotalPauseDuration() - _benchPause).TotalMilliseconds;
        if (_sidecar is null || _before is null)
        {
            return new TailSample(window, null, null, null, null, null, null, benchCollections, benchPause, scheduling);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
        var after = await _sidecar.ScrapeMetricsAsync(cancellationToken);
        After = after;
        double? Delta(string metric, params string[] labels) =>
            _before.Sum(metric, labels) is { } b && after.Sum(metric, labels) is { } a ? a - b : null;

        return new TailSample(
            window,
            Delta(FastPathMetrics.GcCollections),
            Delta(FastPathMetrics.GcPauseSeconds) * 1000,
            Delta(FastPathMetrics.ThreadPoolWorkItems) / Math.Max(1, scheduledCalls),
            Delta(FastPathMetrics.LockContentions),
            after.Sum(FastPathMetrics.ThreadPoolThreads),
            ServerHistogram.Between(_before, after, FastPathMetrics.RpcDuration, rpcLabels),
            benchCollections,
            benchPause,
            scheduling);
    }

    public void Dispose() => _scheduling.Dispose();

    private static int Collections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
}
