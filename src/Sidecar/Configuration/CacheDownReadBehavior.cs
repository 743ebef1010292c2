namespace CacheSidecar.Configuration;

/// <summary>
/// What a Get does in a write-behind namespace when Redis is unreachable. Other strategies always
/// read the store then: it holds every acknowledged write. A write-behind store may not yet.
/// </summary>
public enum CacheDownReadBehavior
{
    /// <summary>Fail with <c>UNAVAILABLE</c>: never answer with a value older than an acknowledged write.</summary>
    Fail,

    /// <summary>Answer from the store, marked <c>stale</c>: it may lack writes still pending in Redis.</summary>
    ServeStale,
}
