namespace CacheSidecar.Bench.FastPath;

/// <summary>How long a work item queued to this process's thread pool waited before it ran, in µs.</summary>
/// <param name="Samples">Probes that ran.</param>
internal sealed record SchedulingDelay(long Samples, double P90Microseconds, double P99Microseconds, double MaxMicroseconds)
{
    public static SchedulingDelay None { get; } = new(0, double.NaN, double.NaN, double.NaN);
}
