namespace CacheSidecar.NearCache;

/// <summary>The invalidation counters a read saw when it started.</summary>
internal readonly record struct ReadTicket(long Epoch, long Stripe);
