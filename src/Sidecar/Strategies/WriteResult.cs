namespace CacheSidecar.Strategies;

/// <summary>
/// A Put's outcome: the new version (etag), and whether the store has it or it is queued (write-behind).
/// </summary>
internal readonly record struct WriteResult(long Version, bool Persisted, bool Queued);
