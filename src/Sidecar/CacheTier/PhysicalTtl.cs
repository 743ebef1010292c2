using CacheSidecar.Configuration;

namespace CacheSidecar.CacheTier;

/// <summary>
/// How long Redis keeps an entry: its remaining TTL plus, where the namespace serves stale values
/// while the store is down, the stale window (the TTL itself is logical, see decision 0003).
/// </summary>
internal static class PhysicalTtl
{
    public static long Milliseconds(NamespacePolicy ns, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var fresh = expiresAt - now;
        var staleWindow = ns.OnStoreDown == StoreDownBehavior.ServeStale ? ns.StaleWindow : TimeSpan.Zero;
        var keep = (fresh > TimeSpan.Zero ? fresh : TimeSpan.Zero) + staleWindow;
        return Math.Max(1, (long)keep.TotalMilliseconds);
    }
}
