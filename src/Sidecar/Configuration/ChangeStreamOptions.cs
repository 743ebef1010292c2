namespace CacheSidecar.Configuration;

/// <summary>
/// The change-stream watcher of a namespace with <c>Invalidation: ChangeStream</c>. One instance
/// holds the namespace's lease in Redis and follows the stream; the others stand by. Settable for the
/// source-generated binder (see <see cref="NamespaceOptions"/>).
/// </summary>
public sealed record ChangeStreamOptions
{
    /// <summary>
    /// How long the lease lasts without renewal (renewed every third of it): a watcher that dies
    /// is replaced within this time, which bounds how late an invalidation can be.
    /// </summary>
    [AtLeast("00:00:01")]
    public TimeSpan LeasePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the server holds a getMore open waiting for changes.</summary>
    [Positive]
    public TimeSpan MaxAwaitTime { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Changes per batch; the resume token is saved after each applied batch.</summary>
    [Between(1, 10_000)]
    public int BatchSize { get; set; } = 500;
}
