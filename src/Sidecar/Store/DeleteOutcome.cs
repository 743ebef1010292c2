namespace CacheSidecar.Store;

/// <summary>Outcome of a delete, which the store records as a versioned tombstone.</summary>
internal enum DeleteOutcome
{
    /// <summary>A live value was replaced by the tombstone.</summary>
    Removed,

    /// <summary>There was no live value; the tombstone is recorded (or an older one was raised).</summary>
    WasAbsent,

    /// <summary>The store holds this or a newer version (value or tombstone); nothing changed.</summary>
    AlreadyNewer,

    /// <summary>The caller's expected version (if-match) is not the live stored one; nothing changed.</summary>
    PreconditionFailed,
}
