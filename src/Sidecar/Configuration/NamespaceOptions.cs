namespace CacheSidecar.Configuration;

/// <summary>
/// One namespace's policy as configured (<c>Sidecar:Namespaces:&lt;name&gt;</c>). Each setting is
/// declared once, here: its default is the property's initial value, its rule the attribute on it
/// (checked by <see cref="SidecarOptionsValidator"/>), and <see cref="RequiresRestartAttribute"/>
/// marks what a hot reload may not change. <see cref="NamespacePolicy"/> is this record plus the
/// namespace's name.
/// </summary>
public record NamespaceOptions
{
    [RequiresRestart]
    public CacheStrategy Strategy { get; init; } = CacheStrategy.CacheAside;

    [Positive]
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Up to this much is added to each entry's TTL, so entries filled together do not expire together.
    /// </summary>
    [NotNegative]
    public TimeSpan TtlJitter { get; init; } = TimeSpan.Zero;

    /// <summary>How long a "not found" is cached (0: not at all).</summary>
    [NotNegative]
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest TTL a caller may ask for.</summary>
    [Positive]
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(30);

    [Between(1, 64 * 1024)]
    public int MaxKeyBytes { get; init; } = 512;

    [Between(1, 64 * 1024 * 1024)]
    public int MaxValueBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// How long the store keeps a deleted key's tombstone (its version) before purging it. Any write
    /// that took its version before the delete must reach the store within this time or it could
    /// land after the purge; see docs/decisions/0013-versioned-tombstones.md for why a day is ample.
    /// </summary>
    [AtLeast("00:01:00")]
    public TimeSpan TombstoneRetention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The MongoDB collection (or SQLite table) behind the namespace; none makes it a pure cache.</summary>
    [RequiresRestart]
    public string? Collection { get; init; }

    [RequiresRestart]
    public IdType IdType { get; init; } = IdType.String;

    public StoreDownBehavior OnStoreDown { get; init; } = StoreDownBehavior.Fail;

    /// <summary>
    /// How long past its TTL an entry may still be served stale (<see cref="StoreDownBehavior.ServeStale"/>).
    /// </summary>
    [NotNegative]
    public TimeSpan StaleWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>What a write-behind Put does when Redis is unreachable.</summary>
    public CacheDownBehavior OnCacheDown { get; init; } = CacheDownBehavior.Fail;

    /// <summary>What a write-behind Get does when Redis is unreachable (reads never go back in time).</summary>
    public CacheDownReadBehavior OnCacheDownRead { get; init; } = CacheDownReadBehavior.Fail;

    /// <summary>
    /// What a cache-aside or write-through call does while this instance cannot use Redis (see
    /// <see cref="CacheUnreachableBehavior"/> and docs/guarantees.md).
    /// </summary>
    public CacheUnreachableBehavior OnCacheUnreachable { get; init; } = CacheUnreachableBehavior.UseStore;

    /// <summary>Number of Redis hash-tag partitions the namespace is spread over.</summary>
    [RequiresRestart]
    [Between(1, 1024)]
    public int Partitions { get; init; } = 16;

    /// <summary>How long a cache-miss lease protects one loader's fill.</summary>
    [Positive]
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether changes other services make to the collection invalidate the cache (DESIGN §10).
    /// </summary>
    [RequiresRestart]
    public InvalidationMode Invalidation { get; init; } = InvalidationMode.Writes;

    /// <summary>The change-stream watcher; only read when <see cref="Invalidation"/> is ChangeStream.</summary>
    [RequiresRestart]
    public ChangeStreamOptions ChangeStream { get; init; } = new();

    /// <summary>
    /// Write-behind tuning; only read (and validated) when <see cref="Strategy"/> is
    /// <see cref="CacheStrategy.WriteBehind"/>.
    /// </summary>
    [RequiresRestart]
    public WriteBehindOptions WriteBehind { get; init; } = new();

    /// <summary>
    /// The per-instance L1 near-cache in front of Redis (off unless <see cref="NearCacheOptions.Enabled"/>).
    /// </summary>
    [RequiresRestart]
    public NearCacheOptions NearCache { get; init; } = new();
}
