namespace CacheSidecar.CacheTier;

/// <summary>Result of a pure-cache write whose version the cache tier assigns.</summary>
internal readonly record struct CacheWriteResult(bool PreconditionFailed, long Version);
