namespace CacheSidecar.Bench.FastPath;

/// <summary>Bytes the sidecar process allocated on its managed heap during a scenario, from its <c>/metrics</c>.</summary>
/// <param name="Calls">Server-side calls of the scenario (its RPC counter's delta, warm-up included).</param>
/// <param name="Bytes">Delta of <c>dotnet_gc_heap_total_allocated_bytes_total</c> over the scenario.</param>
/// <param name="Elapsed">Time between the two scrapes.</param>
/// <param name="IdleBytesPerSecond">The same counter's rate just before, with no traffic (flusher polls, timers, the scrapes).</param>
internal sealed record ServerAllocation(double Calls, double Bytes, TimeSpan Elapsed, double IdleBytesPerSecond)
{
    public double BytesPerCall => Bytes / Math.Max(1, Calls);

    /// <summary>Per call after taking off the idle rate over the same time.</summary>
    public double NetBytesPerCall => Math.Max(0, Bytes - IdleBytesPerSecond * Elapsed.TotalSeconds) / Math.Max(1, Calls);
}
