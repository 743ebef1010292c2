namespace CacheSidecar.Configuration;

/// <summary>What a write-behind Put does when Redis is unreachable.</summary>
public enum CacheDownBehavior
{
    /// <summary>Fail with <c>UNAVAILABLE</c>.</summary>
    Fail,

    /// <summary>Write the store synchronously instead.</summary>
    WriteThrough,
}
