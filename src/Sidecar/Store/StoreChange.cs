namespace CacheSidecar.Store;

/// <summary>One committed change to a key, as the store's change stream reports it.</summary>
/// <param name="Key">The changed key.</param>
/// <param name="Version">
/// The version the change wrote, when it carries the sidecar's metadata (the sidecar's own write,
/// or its tombstone); null for a change of unknown version (another service's write, a purge).
/// </param>
/// <param name="CommittedAt">When the store committed it (for the lag metric).</param>
internal sealed record StoreChange(string Key, long? Version, DateTimeOffset CommittedAt);
