namespace CacheSidecar.WriteBehind;

internal enum EnqueueStatus
{
    Accepted,
    PreconditionFailed,
    BacklogFull,

    /// <summary>An if-match needs the store's version: nothing in Redis to compare against.</summary>
    NeedStoreVersion,
}
