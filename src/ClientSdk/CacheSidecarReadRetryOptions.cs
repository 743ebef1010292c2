namespace CacheSidecar.Client;

/// <summary>
/// Retries of the idempotent reads (<c>Get</c>, <c>BatchGet</c>, <c>ListNamespaces</c>) that failed with
/// <c>UNAVAILABLE</c>, through the channel's gRPC service config (<c>retryPolicy</c>). Writes (<c>Put</c>,
/// <c>Delete</c>, <c>Increment</c>, ...) are never retried: a write whose answer was lost may have been applied,
/// and applying it again is not the same (an increment counts twice, a conditional write fails on its own etag).
/// <c>WatchInvalidations</c> is not retried either: a stream is resumed by its caller, from its last sequence.
/// </summary>
/// <remarks>
/// Every attempt shares the call's deadline (<see cref="CacheSidecarClientOptions.DefaultDeadline"/>): retries
/// never make a call wait longer than it would have. Between attempts gRPC waits a random time up to
/// <see cref="InitialBackoff"/>, then up to <see cref="BackoffMultiplier"/> times more per attempt, never over
/// <see cref="MaxBackoff"/>.
/// </remarks>
public sealed class CacheSidecarReadRetryOptions
{
    /// <summary>
    /// The most attempts Grpc.Net.Client makes of one call, whatever a policy asks
    /// (<c>GrpcChannelOptions.MaxRetryAttempts</c>' default).
    /// </summary>
    public const int MaxAttemptsLimit = 5;

    /// <summary>Whether reads are retried at all. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Attempts of one read, the first one included: 1 turns retries off; at most <see cref="MaxAttemptsLimit"/>.
    /// Default: 3.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The upper bound of the random wait before the first retry. Default: 50 ms.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The upper bound of any wait between two attempts. Default: 500 ms.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How much the wait's upper bound grows from one retry to the next. Default: 2.</summary>
    public double BackoffMultiplier { get; set; } = 2;
}
