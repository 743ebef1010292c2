namespace CacheSidecar.Strategies;

internal readonly record struct DeleteResult(bool Deleted, bool Persisted, bool Queued);
