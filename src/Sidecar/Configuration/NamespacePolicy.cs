namespace CacheSidecar.Configuration;

/// <summary>The resolved, validated policy of one namespace: every field has a value.</summary>
public sealed record NamespacePolicy
{
    public required string Name { get; init; }
    public required CacheStrategy Strategy { get; init; }
    public required TimeSpan Ttl { get; init; }
    public required TimeSpan TtlJitter { get; init; }
    public required TimeSpan NegativeTtl { get; init; }
    public required TimeSpan MaxTtl { get; init; }
    public required int MaxKeyBytes { get; init; }
    public required int MaxValueBytes { get; init; }
    public string? Collection { get; init; }
    public required IdType IdType { get; init; }
    public required StoreDownBehavior OnStoreDown { get; init; }
    public required TimeSpan StaleWindow { get; init; }
    public required CacheDownBehavior OnCacheDown { get; init; }
    public required int Partitions { get; init; }
    public required TimeSpan LeaseTtl { get; init; }
    public required WriteBehindPolicy WriteBehind { get; init; }
    public required NearCachePolicy NearCache { get; init; }

    /// <summary>The deployment's Redis key prefix (<c>Sidecar:Redis:KeyPrefix</c>).</summary>
    public string KeyPrefix { get; init; } = "cs";

    /// <summary>True when the namespace has a store behind it; false for a pure cache.</summary>
    public bool HasStore => Collection is not null;

    /// <summary>Resolves configured options against <see cref="NamespaceDefaults"/>.</summary>
    public static NamespacePolicy From(string name, NamespaceOptions options, string keyPrefix = "cs") => new()
    {
        Name = name,
        KeyPrefix = keyPrefix,
        Strategy = options.Strategy ?? NamespaceDefaults.Strategy,
        Ttl = options.Ttl ?? NamespaceDefaults.Ttl,
        TtlJitter = options.TtlJitter ?? NamespaceDefaults.TtlJitter,
        NegativeTtl = options.NegativeTtl ?? NamespaceDefaults.NegativeTtl,
        MaxTtl = options.MaxTtl ?? NamespaceDefaults.MaxTtl,
        MaxKeyBytes = options.MaxKeyBytes ?? NamespaceDefaults.MaxKeyBytes,
        MaxValueBytes = options.MaxValueBytes ?? NamespaceDefaults.MaxValueBytes,
        Collection = string.IsNullOrWhiteSpace(options.Collection) ? null : options.Collection,
        IdType = options.IdType ?? NamespaceDefaults.IdType,
        OnStoreDown = options.OnStoreDown ?? NamespaceDefaults.OnStoreDown,
        StaleWindow = options.StaleWindow ?? NamespaceDefaults.StaleWindow,
        OnCacheDown = options.OnCacheDown ?? NamespaceDefaults.OnCacheDown,
        Partitions = options.Partitions ?? NamespaceDefaults.Partitions,
        LeaseTtl = options.LeaseTtl ?? NamespaceDefaults.LeaseTtl,
        WriteBehind = WriteBehindPolicy.From(options.WriteBehind ?? new WriteBehindOptions()),
        NearCache = NearCachePolicy.From(options.NearCache ?? new NearCacheOptions()),
    };
}

/// <summary>The resolved write-behind settings of a namespace.</summary>
public sealed record WriteBehindPolicy
{
    public required int BatchSize { get; init; }
    public required TimeSpan FlushInterval { get; init; }
    public required long MaxBacklog { get; init; }
    public required int MaxAttempts { get; init; }
    public required TimeSpan ReclaimAfter { get; init; }
    public required TimeSpan RetryBaseDelay { get; init; }
    public required TimeSpan RetryMaxDelay { get; init; }
    public required int WaitForReplicas { get; init; }
    public required TimeSpan WaitTimeout { get; init; }

    public static WriteBehindPolicy From(WriteBehindOptions options) => new()
    {
        BatchSize = options.BatchSize ?? WriteBehindDefaults.BatchSize,
        FlushInterval = options.FlushInterval ?? WriteBehindDefaults.FlushInterval,
        MaxBacklog = options.MaxBacklog ?? WriteBehindDefaults.MaxBacklog,
        MaxAttempts = options.MaxAttempts ?? WriteBehindDefaults.MaxAttempts,
        ReclaimAfter = options.ReclaimAfter ?? WriteBehindDefaults.ReclaimAfter,
        RetryBaseDelay = options.RetryBaseDelay ?? WriteBehindDefaults.RetryBaseDelay,
        RetryMaxDelay = options.RetryMaxDelay ?? WriteBehindDefaults.RetryMaxDelay,
        WaitForReplicas = options.WaitForReplicas ?? WriteBehindDefaults.WaitForReplicas,
        WaitTimeout = options.WaitTimeout ?? WriteBehindDefaults.WaitTimeout,
    };
}

/// <summary>The resolved near-cache settings of a namespace.</summary>
public sealed record NearCachePolicy
{
    public required bool Enabled { get; init; }
    public required int MaxEntries { get; init; }
    public required long MaxBytes { get; init; }
    public required TimeSpan Ttl { get; init; }
    public required TimeSpan ResyncInterval { get; init; }

    public static NearCachePolicy From(NearCacheOptions options) => new()
    {
        Enabled = options.Enabled ?? NearCacheDefaults.Enabled,
        MaxEntries = options.MaxEntries ?? NearCacheDefaults.MaxEntries,
        MaxBytes = options.MaxBytes ?? NearCacheDefaults.MaxBytes,
        Ttl = options.Ttl ?? NearCacheDefaults.Ttl,
        ResyncInterval = options.ResyncInterval ?? NearCacheDefaults.ResyncInterval,
    };
}
