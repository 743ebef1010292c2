namespace CacheSidecar.Configuration;

/// <summary>What a Get does when the store is unreachable and the cached value has expired.</summary>
public enum StoreDownBehavior
{
    /// <summary>Fail with <c>UNAVAILABLE</c>.</summary>
    Fail,

    /// <summary>Serve the expired value, marked <c>stale</c>, if it expired less than <c>StaleWindow</c> ago.</summary>
    ServeStale,
}
