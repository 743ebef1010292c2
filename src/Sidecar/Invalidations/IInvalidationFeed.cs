using CacheSidecar.Configuration;

namespace CacheSidecar.Invalidations;

/// <summary>
/// Where <c>WatchInvalidations</c> streams attach: over Redis the near-cache bus (every instance's
/// writes), in embedded mode this instance's own writes.
/// </summary>
internal interface IInvalidationFeed
{
    /// <summary>
    /// Starts feeding <paramref name="watcher"/> the namespace's notices: first Synced (or Reset while
    /// this instance cannot follow the namespace), then every invalidation. Dispose the result to stop.
    /// Only for namespaces that publish (<see cref="NamespacePolicy.PublishesInvalidations"/>).
    /// </summary>
    Task<IAsyncDisposable> WatchAsync(NamespacePolicy ns, InvalidationWatcher watcher,
        CancellationToken cancellationToken);
}
