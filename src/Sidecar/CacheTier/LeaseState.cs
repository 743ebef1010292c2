namespace CacheSidecar.CacheTier;

internal enum LeaseState
{
    NotRequested,

    /// <summary>This caller holds the fill lease and may fill the entry after loading.</summary>
    Granted,

    /// <summary>Another loader (in this or another sidecar) holds the lease.</summary>
    HeldByOther,
}
