namespace CacheSidecar.Store;

/// <summary>Outcome of a version-guarded store write.</summary>
internal enum StoreWriteOutcome
{
    /// <summary>The store now holds the written version.</summary>
    Applied,

    /// <summary>The store already holds this or a newer version; nothing changed.</summary>
    AlreadyNewer,

    /// <summary>The caller's expected version (if-match) is not the stored one; nothing changed.</summary>
    PreconditionFailed,
}
