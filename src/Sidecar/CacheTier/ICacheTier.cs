using CacheSidecar.Configuration;

namespace CacheSidecar.CacheTier;

/// <summary>One cached value (or a cached "not found" when <see cref="IsNegative"/>).</summary>
/// <param name="ExpiresAt">When the value stops being fresh (logical TTL, from the sidecar's <see cref="TimeProvider"/>).
/// The physical entry lives <c>StaleWindow</c> longer so that a fail-safe read can still serve it.</param>
internal sealed record CacheEntry(ReadOnlyMemory<byte> Value, string ContentType, long Version, bool IsNegative, DateTimeOffset ExpiresAt)
{
    public static CacheEntry Negative(DateTimeOffset expiresAt) => new(ReadOnlyMemory<byte>.Empty, string.Empty, 0, true, expiresAt);
}

internal enum LookupState
{
    /// <summary>No usable entry.</summary>
    Miss,

    /// <summary>A fresh entry.</summary>
    Hit,

    /// <summary>An entry past its TTL, kept only for serving stale when the store is down.</summary>
    Expired,

    /// <summary>No fresh entry, but a write-behind write not yet flushed to the store: the newest value.</summary>
    Pending,
}

internal enum LeaseState
{
    NotRequested,

    /// <summary>This caller holds the fill lease and may fill the entry after loading.</summary>
    Granted,

    /// <summary>Another loader (in this or another sidecar) holds the lease.</summary>
    HeldByOther,
}

internal readonly record struct CacheLookup(LookupState State, CacheEntry? Entry, LeaseState Lease);

/// <summary>Result of a pure-cache write whose version the cache tier assigns.</summary>
internal readonly record struct CacheWriteResult(bool PreconditionFailed, long Version);

/// <summary>
/// The cache tier: Redis in production, an in-process dictionary in the embedded default.
/// Each operation is one atomic step (a Lua script in Redis) on keys of one partition, so it
/// is safe on Redis Cluster and against concurrent sidecars.
/// </summary>
internal interface ICacheTier
{
    string Description { get; }

    /// <summary>
    /// Reads a key. On a miss (or an expired entry), and when <paramref name="leaseToken"/> is
    /// given, also tries to take the fill lease for that key in the same atomic step.
    /// </summary>
    Task<CacheLookup> LookupAsync(NamespacePolicy ns, string key, string? leaseToken, CancellationToken cancellationToken);

    /// <summary>Fills an entry loaded from the store; dropped (returns false) unless the lease is still alive.</summary>
    Task<bool> FillAsync(NamespacePolicy ns, string key, CacheEntry entry, string leaseToken, CancellationToken cancellationToken);

    /// <summary>Sets an entry unless the cache holds the same or a newer version; kills any fill lease.</summary>
    Task<bool> SetIfNewerAsync(NamespacePolicy ns, string key, CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Pure-cache write: assigns the next version itself (optionally only at version <paramref name="ifMatch"/>).</summary>
    Task<CacheWriteResult> PutAssigningVersionAsync(NamespacePolicy ns, string key, CacheEntry entry, long? ifMatch, CancellationToken cancellationToken);

    /// <summary>Pure-cache delete (optionally only at version <paramref name="ifMatch"/>).</summary>
    Task<(bool PreconditionFailed, bool Deleted)> DeleteIfMatchAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken);

    /// <summary>
    /// Sets <paramref name="entry"/> (read from the store just now) if the cache holds the tombstone
    /// at <paramref name="tombstoneVersion"/> or an older value: used when the store turns out to
    /// hold a value that tombstone wrongly hides. Replacing rather than dropping the tombstone keeps
    /// a late set of an even older version from landing in the emptied entry.
    /// </summary>
    Task<bool> ReplaceTombstoneAsync(NamespacePolicy ns, string key, long tombstoneVersion, CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Drops an entry and kills its fill lease. Returns whether an entry existed.</summary>
    Task<bool> InvalidateAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    /// <summary>Drops every entry of the namespace by bumping its partitions' generations (no key scan).</summary>
    Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken);
}

/// <summary>The cache tier cannot be used right now (unreachable, timed out, or its circuit is open).</summary>
internal sealed class CacheUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
