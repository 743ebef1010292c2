namespace CacheSidecar.Strategies;

/// <summary>
/// An Increment's outcome: the counter's new value, its version (etag), and whether the store has it or
/// it is queued (write-behind), as for a Put.
/// </summary>
internal readonly record struct IncrementResult(long Value, long Version, bool Persisted, bool Queued);
