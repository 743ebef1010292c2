namespace CacheSidecar.WriteBehind;

internal enum EnqueueStatus
{
    Accepted,

    /// <summary>The if-match or if-absent condition does not hold.</summary>
    PreconditionFailed,

    BacklogFull,

    /// <summary>
    /// The condition (if-match, if-absent) or the Increment needs the store's state: nothing in Redis to go by.
    /// </summary>
    NeedStoreVersion,

    /// <summary>
    /// The store's state given with the step is older than a version Redis still holds (an invalidated
    /// or older-generation entry): the store changed since it was read. Read it again.
    /// </summary>
    StaleStoreHint,

    /// <summary>An Increment of a value that is not an integer counter.</summary>
    NotACounter,

    /// <summary>An Increment whose sum would not fit in an int64.</summary>
    Overflow,
}
