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
