using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>The sidecar's <c>/metrics</c> series the fastpath bench reads (Prometheus names of its OpenTelemetry instruments).</summary>
internal static class FastPathMetrics
{
    /// <summary><c>cachesidecar.rpc.duration</c> histogram's count: calls by rpc, namespace, status.</summary>
    public const string RpcCount = "cachesidecar_rpc_duration_seconds_count";

    /// <summary><c>cachesidecar.rpc.duration</c>: the sidecar's own time per call, from its outermost interceptor in to out.</summary>
    public const string RpcDuration = "cachesidecar_rpc_duration_seconds";

    /// <summary><c>cachesidecar.reads</c>: keys read by namespace, source (cache, pending, store, and the near-cache), found.</summary>
    public const string Reads = "cachesidecar_reads_total";

    /// <summary>The runtime's <c>dotnet.gc.heap.total_allocated</c>: bytes allocated on the managed heap since the process started.</summary>
    public const string AllocatedBytes = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>The runtime's <c>dotnet.gc.collections</c>, by generation.</summary>
    public const string GcCollections = "dotnet_gc_collections_total";

    /// <summary>The runtime's <c>dotnet.gc.pause.time</c>: total time the GC suspended the process.</summary>
    public const string GcPauseSeconds = "dotnet_gc_pause_time_seconds_total";

    /// <summary>The runtime's <c>dotnet.thread_pool.work_item.count</c>: work items the thread pool completed.</summary>
    public const string ThreadPoolWorkItems = "dotnet_thread_pool_work_item_count_total";

    /// <summary>The runtime's <c>dotnet.thread_pool.thread.count</c> (an up-down counter: the exporter adds <c>_total</c>).</summary>
    public const string ThreadPoolThreads = "dotnet_thread_pool_thread_count_total";

    /// <summary>The runtime's <c>dotnet.monitor.lock_contentions</c>.</summary>
    public const string LockContentions = "dotnet_monitor_lock_contentions_total";

    /// <summary>Label values the near-cache's reads may carry (the metric lower-cases the source's name).</summary>
    public static readonly string[] NearCacheSources = ["source=\"near_cache\"", "source=\"nearcache\""];

    /// <summary>Share of the reads in <paramref name="ns"/> between two scrapes that the sidecar counted as served by its near-cache; null without reads.</summary>
    public static double? NearCacheShare(PrometheusText before, PrometheusText after, string ns)
    {
        var label = $"namespace=\"{ns}\"";
        double Delta(params string[] labels) => (after.Sum(Reads, labels) ?? 0) - (before.Sum(Reads, labels) ?? 0);
        var all = Delta(label);
        var near = NearCacheSources.Sum(source => Delta(label, source));
        return all > 0 ? near / all : null;
    }
}
