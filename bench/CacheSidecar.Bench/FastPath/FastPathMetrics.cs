namespace CacheSidecar.Bench.FastPath;

/// <summary>The sidecar's <c>/metrics</c> series the fastpath bench reads (Prometheus names of its OpenTelemetry instruments).</summary>
internal static class FastPathMetrics
{
    /// <summary><c>cachesidecar.rpc.duration</c> histogram's count: calls by rpc, namespace, status.</summary>
    public const string RpcCount = "cachesidecar_rpc_duration_seconds_count";

    /// <summary><c>cachesidecar.reads</c>: keys read by namespace, source (cache, pending, store, and the near-cache), found.</summary>
    public const string Reads = "cachesidecar_reads_total";

    /// <summary>The runtime's <c>dotnet.gc.heap.total_allocated</c>: bytes allocated on the managed heap since the process started.</summary>
    public const string AllocatedBytes = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>Label values the near-cache's reads may carry (the metric lower-cases the source's name).</summary>
    public static readonly string[] NearCacheSources = ["source=\"near_cache\"", "source=\"nearcache\""];
}
