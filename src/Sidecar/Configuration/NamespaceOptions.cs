namespace CacheSidecar.Configuration;

/// <summary>
/// One namespace's policy as configured (<c>Sidecar:Namespaces:&lt;name&gt;</c>). Each setting is
/// declared once, here: its default is the property's initial value, its rule the attribute on it
/// (checked by <see cref="SidecarOptionsValidator"/>), and <see cref="RequiresRestartAttribute"/>
/// marks what a hot reload may not change. <see cref="NamespacePolicy"/> is this record plus the
/// namespace's name.
/// <para>
/// Settable, not <c>init</c>: the configuration binding source generator (which the SDK switches on for
/// trimmed and Native AOT publishes, where the reflection binder cannot work) does not assign
/// <c>init</c>-only properties (dotnet/runtime#107856), so they would silently keep their defaults. Only
/// the binder writes them; everything after it reads a <see cref="NamespacePolicy"/>, which nothing mutates.
/// </para>
/// </summary>
public record NamespaceOptions
{
    [RequiresRestart]
    public CacheStrategy Strategy { get; set; } = CacheStrategy.CacheAside;

    [Positive]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Up to this much is added to each entry's TTL, so entries filled together do not expire together.
    /// </summary>
    [NotNegative]
    public TimeSpan TtlJitter { get; set; } = TimeSpan.Zero;

    /// <summary>How long a "not found" is cached (0: not at all).</summary>
    [NotNegative]
    public TimeSpan NegativeTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest TTL a caller may ask for.</summary>
    [Positive]
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(30);

    [Between(1, 64 * 1024)]
    public int MaxKeyBytes { get; set; } = 512;

    [Between(1, 64 * 1024 * 1024)]
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long the store keeps a deleted key's tombstone (its version) before purging it. Any write
    /// that took its version before the delete must reach the store within this time or it could
    /// land after the purge; see docs/decisions/0013-versioned-tombstones.md for why a day is ample.
    /// </summary>
    [AtLeast("00:01:00")]
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The MongoDB collection (or SQLite table) behind the namespace; none makes it a pure cache.</summary>
    [RequiresRestart]
    public string? Collection { get; set; }

    [RequiresRestart]
    public IdType IdType { get; set; } = IdType.String;

    public StoreDownBehavior OnStoreDown { get; set; } = StoreDownBehavior.Fail;

    /// <summary>
    /// How long past its TTL an entry may still be served stale (<see cref="StoreDownBehavior.ServeStale"/>).
    /// </summary>
    [NotNegative]
    public TimeSpan StaleWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What a write-behind Put does when Redis is unreachable.</summary>
    public CacheDownBehavior OnCacheDown { get; set; } = CacheDownBehavior.Fail;

    /// <summary>What a write-behind Get does when Redis is unreachable (reads never go back in time).</summary>
    public CacheDownReadBehavior OnCacheDownRead { get; set; } = CacheDownReadBehavior.Fail;

    /// <summary>
    /// What a cache-aside or write-through call does while this instance cannot use Redis (see
    /// <see cref="CacheUnreachableBehavior"/> and docs/guarantees.md).
    /// </summary>
    public CacheUnreachableBehavior OnCacheUnreachable { get; set; } = CacheUnreachableBehavior.UseStore;

    /// <summary>Number of Redis hash-tag partitions the namespace is spread over.</summary>
    [RequiresRestart]
    [Between(1, 1024)]
    public int Partitions { get; set; } = 16;

    /// <summary>How long a cache-miss lease protects one loader's fill.</summary>
    [Positive]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether changes other services make to the collection invalidate the cache (DESIGN §10).
    /// </summary>
    [RequiresRestart]
    public InvalidationMode Invalidation { get; set; } = InvalidationMode.Writes;

    /// <summary>The change-stream watcher; only read when <see cref="Invalidation"/> is ChangeStream.</summary>
    [RequiresRestart]
    public ChangeStreamOptions ChangeStream { get; set; } = new();

    /// <summary>
    /// Write-behind tuning; only read (and validated) when <see cref="Strategy"/> is
    /// <see cref="CacheStrategy.WriteBehind"/>.
    /// </summary>
    [RequiresRestart]
    public WriteBehindOptions WriteBehind { get; set; } = new();

    /// <summary>
    /// The per-instance L1 near-cache in front of Redis (off unless <see cref="NearCacheOptions.Enabled"/>).
    /// </summary>
    [RequiresRestart]
    public NearCacheOptions NearCache { get; set; } = new();

    /// <summary>
    /// Announce every write and invalidation of the namespace over Redis, so callers can follow them
    /// with <c>WatchInvalidations</c> and keep their own near cache coherent (DESIGN §2, §11). Costs one
    /// more Redis step per write; on (implied) whenever <see cref="NearCache"/> is enabled. Set it on
    /// every instance alike: a write through an instance without it is not announced.
    /// </summary>
    [RequiresRestart]
    public bool PublishInvalidations { get; set; }
}
