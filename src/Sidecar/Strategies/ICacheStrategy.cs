using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// Everything the API does with a namespace: reads, writes and cache-only invalidations, with the
/// namespace's strategy applied. <see cref="StrategyResolver"/> hands out one per namespace.
/// </summary>
internal interface ICacheStrategy
{
    Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    Task<ReadResult[]> BatchGetAsync(
        NamespacePolicy ns,
        IReadOnlyList<string> keys,
        CancellationToken cancellationToken);

    Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken);

    Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken);

    Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken);

    /// <summary>Drops the listed keys from the cache (the store is untouched); returns how many were cached.</summary>
    Task<int> InvalidateAsync(
        NamespacePolicy ns,
        IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken);

    /// <summary>
    /// Gives the key's live cached value a new remaining TTL without rewriting it; returns that TTL,
    /// or null when no live value is cached (nothing is created).
    /// </summary>
    Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Stops every entry written with any of the tags from being served, on every instance and its near
    /// cache; O(1) per tag. The store is untouched.
    /// </summary>
    Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Drops every entry of the namespace in O(1) (a generation bump per partition).</summary>
    Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken);
}
