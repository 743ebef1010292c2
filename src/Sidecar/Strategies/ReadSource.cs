namespace CacheSidecar.Strategies;

/// <summary>Where a read was answered from (mirrors the contract's ValueSource).</summary>
internal enum ReadSource
{
    Cache,

    /// <summary>This instance's L1 near-cache; reported to callers as CACHE.</summary>
    NearCache,
    Pending,
    Store,
}
