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
        var keep = (fresh > TimeSpan.Zero ? fresh : TimeSpan.Zero) + StaleWindow(ns);
        return Math.Max(1, (long)keep.TotalMilliseconds);
    }

    /// <summary>How long an entry is kept past its logical expiry: the stale window where it may be served.</summary>
    public static TimeSpan StaleWindow(NamespacePolicy ns) =>
        ns.OnStoreDown == StoreDownBehavior.ServeStale ? ns.StaleWindow : TimeSpan.Zero;
}
