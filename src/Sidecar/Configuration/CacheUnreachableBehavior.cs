namespace CacheSidecar.Configuration;

/// <summary>
/// What cache-aside and write-through do while this instance cannot use Redis: it is down, cut off
/// from this instance only, or back but not yet checked (a restart is detected and the partitions
/// it may have missed invalidations for are bumped before Redis is used again).
/// </summary>
public enum CacheUnreachableBehavior
{
    /// <summary>
    /// Reads and writes go to the store (available). A write's invalidation is deferred until this
    /// instance reaches Redis again, so other instances that do reach Redis may serve the value it
    /// replaced until then, or until the change-stream watcher applies it (<c>Invalidation: ChangeStream</c>).
    /// </summary>
    UseStore,

    /// <summary>
    /// Reads and writes answer <c>UNAVAILABLE</c> (consistent): a write is refused before it reaches the
    /// store, and one whose cache step fails after the store took it answers <c>UNAVAILABLE</c> rather than
    /// acknowledging a value other instances may not serve yet (it may have been stored; retry it).
    /// </summary>
    Fail,
}
