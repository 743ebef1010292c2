namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// Where the time of one 1,000 req/s run could have gone besides the measured path, read around the run
/// (never during it: a <c>/metrics</c> scrape costs the sidecar CPU on the shared cores and would itself
/// show in the tail). Sidecar figures are null for the direct-Redis row, which does not call it.
/// </summary>
/// <param name="Window">Wall-clock time between the readings (warm-up included).</param>
/// <param name="SidecarGcCount">Collections (all generations) the sidecar's runtime counted.</param>
/// <param name="SidecarGcPauseMs">The sidecar's GC pause time (<c>dotnet_gc_pause_time_seconds_total</c>).</param>
/// <param name="SidecarWorkItemsPerCall">Thread-pool work items the sidecar completed per scheduled call.</param>
/// <param name="SidecarLockContentions">Monitor lock contentions in the sidecar.</param>
/// <param name="SidecarThreads">The sidecar's thread-pool threads at the end.</param>
/// <param name="Handler">The sidecar's own duration of the RPC (interceptor in to out), from its histogram; null when not read.</param>
/// <param name="BenchGcCount">Collections in this process (load generator and client).</param>
/// <param name="BenchGcPauseMs">This process's GC pause time.</param>
/// <param name="BenchScheduling">This process's thread-pool scheduling delay, from a probe queueing a work item every 2 ms.</param>
internal sealed record TailSample(
    TimeSpan Window,
    double? SidecarGcCount,
    double? SidecarGcPauseMs,
    double? SidecarWorkItemsPerCall,
    double? SidecarLockContentions,
    double? SidecarThreads,
    ServerHistogram? Handler,
    double BenchGcCount,
    double BenchGcPauseMs,
    SchedulingDelay BenchScheduling);
