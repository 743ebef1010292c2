namespace CacheSidecar.Configuration;

/// <summary>Which store changes invalidate a namespace's cache entries.</summary>
public enum InvalidationMode
{
    /// <summary>Only the sidecar's own writes (and Invalidate calls); other writers wait for the TTL.</summary>
    Writes,

    /// <summary>
    /// Also every change in the collection's MongoDB change stream, whoever made it (DESIGN §10).
    /// Needs MongoDB as a replica set or sharded cluster, and Redis (for the watcher's lease).
    /// </summary>
    ChangeStream,
}
