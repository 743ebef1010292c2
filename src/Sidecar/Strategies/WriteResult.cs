namespace CacheSidecar.Strategies;

internal readonly record struct WriteResult(long Version, bool Persisted, bool Queued);
