using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// Entry TTLs: the caller's override or the namespace TTL, plus jitter so entries filled together do
/// not expire together.
/// </summary>
internal static class EntryTtl
{
    public static TimeSpan For(NamespacePolicy ns, TimeSpan? overrideTtl)
    {
        var ttl = overrideTtl ?? ns.Ttl;
        if (ns.TtlJitter > TimeSpan.Zero)
        {
            ttl += TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * ns.TtlJitter.Ticks));
        }

        return ttl;
    }
}
