namespace CacheSidecar.Configuration;

/// <summary>
/// A write-behind namespace's flushing, backpressure and durability settings, with their defaults
/// (settable for the source-generated binder, see <see cref="NamespaceOptions"/>).
/// </summary>
public sealed record WriteBehindOptions
{
    /// <summary>Most stream entries read per partition per round, and most documents per store bulk write.</summary>
    [Between(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>How long a flusher waits after a round that did not fill a batch.</summary>
    [Positive]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most acknowledged-but-unflushed writes the namespace holds; beyond it Put fails
    /// <c>RESOURCE_EXHAUSTED</c>. Enforced atomically per partition as ceil(MaxBacklog / Partitions).
    /// </summary>
    [AtLeast(1)]
    public long MaxBacklog { get; set; } = 1_000_000;

    /// <summary>Times the store may reject one document before it goes to the dead-letter stream.</summary>
    [Between(1, 1000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How long an entry (or a key claim) of a silent flusher stays untouched before another instance takes it over.
    /// </summary>
    [Positive]
    public TimeSpan ReclaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// First back-off delay after a failed flush; doubles (with jitter) up to <see cref="RetryMaxDelay"/>.
    /// </summary>
    [Positive]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Positive]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Replicas that must confirm a write (Redis <c>WAIT</c>) before Put is acknowledged; 0 = do not wait.
    /// </summary>
    [Between(0, 100)]
    public int WaitForReplicas { get; set; }

    /// <summary>
    /// How long Put waits for <see cref="WaitForReplicas"/> confirmations before failing <c>UNAVAILABLE</c>.
    /// Keep it under the Redis command timeout (at most 2 s): the wait is one Redis command, and a longer one
    /// fails as "cache unavailable" instead of naming the missing confirmations.
    /// </summary>
    [Positive]
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}
