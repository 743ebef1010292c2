namespace CacheSidecar.Strategies;

/// <summary>
/// A Delete's outcome: whether there was a value, and whether the store has the delete or it is queued.
/// </summary>
internal readonly record struct DeleteResult(bool Deleted, bool Persisted, bool Queued);
