namespace CacheSidecar.Configuration;

/// <summary>
/// A namespace's L1 near-cache: hot values kept in the sidecar's memory, dropped on every
/// instance through Redis pub/sub when any instance writes them. Off unless <see cref="Enabled"/>.
/// Settable for the source-generated binder (see <see cref="NamespaceOptions"/>).
/// </summary>
public sealed record NearCacheOptions
{
    public bool Enabled { get; set; }

    /// <summary>Most entries held; together with <see cref="MaxBytes"/> the bound on the L1's memory.</summary>
    [Between(1, 10_000_000)]
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Most bytes held (values plus keys plus a per-entry overhead).</summary>
    [Between(1024, 16L * 1024 * 1024 * 1024)]
    public long MaxBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// How long an entry is served from memory at most: the staleness bound when invalidations cannot arrive.
    /// </summary>
    [Positive]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often each instance compares its last applied invalidation with Redis's counter to detect missed messages.
    /// </summary>
    [AtLeast("00:00:00.010")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(1);
}
