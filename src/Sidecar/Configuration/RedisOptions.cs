namespace CacheSidecar.Configuration;

/// <summary>
/// The Redis cache tier (<c>Sidecar:Redis</c>): where it is and how the sidecar protects itself when it is not.
/// </summary>
public sealed class RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or a list of cluster nodes.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>First part of every Redis key the sidecar writes (<c>&lt;prefix&gt;:{ns:p}:…</c>): lets
    /// several deployments (or test runs) share one Redis without seeing each other's keys.</summary>
    public string KeyPrefix { get; set; } = "cs";

    /// <summary>How long the circuit stays open after Redis failures before one call probes it again
    /// (Polly accepts 0.5 s to 1 day).</summary>
    [AtLeast("00:00:00.5")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Share of failed Redis calls within <see cref="CircuitSamplingDuration"/> that opens the circuit.
    /// </summary>
    [Fraction]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed within <see cref="CircuitSamplingDuration"/> before the ratio counts.</summary>
    [Between(2, 1_000_000)]
    public int CircuitMinimumThroughput { get; set; } = 5;

    /// <summary>The window over which failures are counted.</summary>
    [AtLeast("00:00:00.5")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <b>Breaks cache-aside on purpose; never set it in a deployment.</b> Fills ignore their lease,
    /// so a loader that read the store before a concurrent write can cache the older value. It
    /// exists so the consistency checker can prove it detects exactly that bug.
    /// </summary>
    public bool UnsafeDisableFillLeaseCheckForTesting { get; set; }
}
