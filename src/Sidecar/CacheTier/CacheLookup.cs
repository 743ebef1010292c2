namespace CacheSidecar.CacheTier;

internal readonly record struct CacheLookup(LookupState State, CacheEntry? Entry, LeaseState Lease);
