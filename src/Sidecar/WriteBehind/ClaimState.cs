namespace CacheSidecar.WriteBehind;

internal enum ClaimState
{
    /// <summary>No pending record: a flusher already wrote this version or a newer one.</summary>
    AlreadyFlushed,

    Claimed,

    /// <summary>Another live flusher is writing this key; leave the entry for a later round.</summary>
    Busy,
}
