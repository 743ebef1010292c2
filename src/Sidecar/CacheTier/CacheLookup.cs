namespace CacheSidecar.CacheTier;

internal enum LookupState
{
    /// <summary>No usable entry.</summary>
    Miss,

    /// <summary>A fresh entry.</summary>
    Hit,

    /// <summary>An entry past its TTL, kept only for serving stale when the store is down.</summary>
    Expired,

    /// <summary>No fresh entry, but a write-behind write not yet flushed to the store: the newest value.</summary>
    Pending,
}

internal enum LeaseState
{
    NotRequested,

    /// <summary>This caller holds the fill lease and may fill the entry after loading.</summary>
    Granted,

    /// <summary>Another loader (in this or another sidecar) holds the lease.</summary>
    HeldByOther,
}

internal readonly record struct CacheLookup(LookupState State, CacheEntry? Entry, LeaseState Lease);
