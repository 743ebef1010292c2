using CacheSidecar.Configuration;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The cache tier: Redis in production, an in-process dictionary in the embedded default.
/// Each operation is one atomic step (a Lua script in Redis) on keys of one partition, so it
/// is safe on Redis Cluster and against concurrent sidecars.
/// </summary>
internal interface ICacheTier
{
    string Description { get; }

    /// <summary>
    /// Whether a call would reach the tier now (no round trip; a reconciliation due runs first).
    /// Writes under <c>OnCacheUnreachable: Fail</c> ask before they touch the store.
    /// </summary>
    ValueTask<bool> IsUsableAsync();

    /// <summary>
    /// Reads a key. On a miss (or an expired entry), and when <paramref name="leaseToken"/> is
    /// given, also tries to take the fill lease for that key in the same atomic step. With
    /// <paramref name="readPending"/>, a key without a fresh entry is looked up in its write-behind
    /// pending record first (<see cref="LookupState.Pending"/>); no lease is taken then.
    /// </summary>
    Task<CacheLookup> LookupAsync(NamespacePolicy ns, string key, string? leaseToken, bool readPending,
        CancellationToken cancellationToken);

    /// <summary>
    /// Fills an entry loaded from the store; dropped (returns false) unless the lease is still alive.
    /// Without the lease (<paramref name="leaseToken"/> null, or a lease killed since), a loaded value's
    /// version stays behind as a <see cref="VersionFloor"/> unless the slot holds a newer one: the loader
    /// serves that version, so no later cache step may install an older one.
    /// </summary>
    Task<bool> FillAsync(
        NamespacePolicy ns,
        string key,
        CacheEntry entry,
        string? leaseToken,
        CancellationToken cancellationToken);

    /// <summary>Sets an entry unless the cache holds the same or a newer version; kills any fill lease.</summary>
    Task<bool> SetIfNewerAsync(NamespacePolicy ns, string key, CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Pure-cache write: assigns the next version itself (optionally only at version <paramref name="ifMatch"/>,
    /// or with <paramref name="ifAbsent"/> only when no live, unexpired value is cached).
    /// </summary>
    Task<CacheWriteResult> PutAssigningVersionAsync(
        NamespacePolicy ns,
        string key,
        CacheEntry entry,
        long? ifMatch,
        bool ifAbsent,
        CancellationToken cancellationToken);

    /// <summary>
    /// Pure-cache Increment, one atomic step: adds <paramref name="delta"/> to the live counter (a key
    /// without a live value counts as 0) and writes the sum at a new version, expiring at
    /// <paramref name="expiresAt"/>.
    /// </summary>
    Task<CounterWriteResult> IncrementAssigningVersionAsync(
        NamespacePolicy ns,
        string key,
        long delta,
        DateTimeOffset expiresAt,
        CancellationToken cancellationToken);

    /// <summary>Pure-cache delete (optionally only at version <paramref name="ifMatch"/>).</summary>
    Task<(bool PreconditionFailed, bool Deleted)> DeleteIfMatchAsync(
        NamespacePolicy ns,
        string key,
        long? ifMatch,
        CancellationToken cancellationToken);

    /// <summary>
    /// Drops an entry and kills its fill lease unless the cache holds <paramref name="version"/> or
    /// a newer one; a null version (unknown: another service's write) always drops. Returns whether
    /// it dropped. Leaves the newer of the two versions as a <see cref="VersionFloor"/>. Used for
    /// changes seen in the store's change stream, and after a write-through delete.
    /// </summary>
    Task<bool> InvalidateOlderAsync(NamespacePolicy ns, string key, long? version, CancellationToken cancellationToken);

    /// <summary>
    /// Sets a live entry's expiry to now + <paramref name="ttl"/> (and its physical TTL to match) without
    /// rewriting it. Returns the new remaining TTL, or null when there is no live, positive entry.
    /// </summary>
    Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Drops an entry and kills its fill lease, leaving its version as a <see cref="VersionFloor"/>.
    /// Returns whether a live entry or a lease existed.
    /// </summary>
    Task<bool> InvalidateAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Stops every entry written with any of <paramref name="tags"/> from being served: one step per tag,
    /// whatever the number of entries (their tag generations no longer match).
    /// </summary>
    Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Drops every entry of the namespace by bumping its partitions' generations (no key scan).</summary>
    Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken);
}
