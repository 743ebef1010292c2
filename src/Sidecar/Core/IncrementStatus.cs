namespace CacheSidecar.Core;

/// <summary>What a store-side Increment found.</summary>
internal enum IncrementStatus
{
    /// <summary>
    /// The counter now holds <see cref="IncrementOutcome.Value"/> at <see cref="IncrementOutcome.Version"/>.
    /// </summary>
    Applied,

    /// <summary>No live value (never written, or a tombstone): create the counter instead.</summary>
    Absent,

    /// <summary>The live value is not an integer counter; nothing changed.</summary>
    NotACounter,

    /// <summary>The result would not fit in an int64; nothing changed.</summary>
    Overflow,

    /// <summary>The key changed while its state was read; nothing changed (go again).</summary>
    Changed,
}
