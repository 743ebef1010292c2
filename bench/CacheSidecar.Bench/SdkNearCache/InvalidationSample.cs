namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// One write through sidecar B of a key the application had in its near cache. Times are µs from the moment B's
/// Put returned to the writer (negative: before it); the bound is <see cref="InvalidationRounds.Bound"/>.
/// </summary>
/// <param name="PutMicros">B's Put, sent to returned.</param>
/// <param name="DropMicros">The SDK dropped the key (its invalidated_keys measurement); null when no KEYS event
/// arrived within the wait.</param>
/// <param name="NewReadMicros">The end of the first application read that returned the new value; NaN when none
/// did before the reader gave up (past the bound).</param>
/// <param name="OldReadsAfterPut">Reads that returned the old value and ended after B's Put returned.</param>
/// <param name="LastOldReadMicros">The end of the last of those; NaN when there was none.</param>
/// <param name="OldReadsAfterDrop">Reads that started after the drop and still returned the old value
/// (incoherence: must be 0).</param>
/// <param name="OldReadsAfterBound">Reads of the old value that ended later than the bound (must be 0).</param>
internal sealed record InvalidationSample(
    double PutMicros,
    double? DropMicros,
    double NewReadMicros,
    int OldReadsAfterPut,
    double LastOldReadMicros,
    int OldReadsAfterDrop,
    int OldReadsAfterBound);
