using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// Tells every instance that keys changed, after the cache tier has been told: the near-caches in
/// front of it (and whatever else keeps a copy) drop them. Called after every write and
/// invalidation, whether or not it succeeded (a failed write may still have changed Redis or the
/// store), and by write-behind when a dead-lettered write leaves the cache. Never throws.
/// </summary>
internal interface IInvalidationBroadcast
{
    Task KeysChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys);

    /// <summary>Entries written with any of <paramref name="tags"/> changed (InvalidateTags).</summary>
    Task TagsChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags);

    Task NamespaceChangedAsync(NamespacePolicy ns);
}
