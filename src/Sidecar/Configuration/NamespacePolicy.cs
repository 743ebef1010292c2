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

    /// <summary>True when the namespace has a store behind it; false for a pure cache.</summary>
    public bool HasStore => Collection is not null;

    /// <summary>Resolves configured options against <see cref="NamespaceDefaults"/>.</summary>
    public static NamespacePolicy From(string name, NamespaceOptions options) => new()
    {
        Name = name,
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
    };
}
