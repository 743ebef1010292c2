namespace CacheSidecar.Store;

internal enum MutationStatus
{
    /// <summary>The store now reflects the mutation (or already did: nothing older was left to delete).</summary>
    Applied,

    /// <summary>The store holds a newer version: nothing to do, do not retry.</summary>
    AlreadyNewer,

    /// <summary>The store refused this document (validation, a field it cannot hold).</summary>
    Rejected,
}
