using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// How one caching strategy (§4) writes. Strategies differ only here: every strategy reads
/// through the same <see cref="ReadThroughReader"/>. Implementations are stateless; the namespace
/// policy comes with each call.
/// </summary>
internal interface IWriteStrategy
{
    /// <summary>
    /// True when acknowledged writes may not be in the store yet (write-behind): reads then look
    /// at the pending record between the cache and the store, so a caller reads its own writes.
    /// </summary>
    bool ReadsPendingWrites => false;

    Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Adds <paramref name="delta"/> to the key's integer counter (created at 0), exactly under concurrency;
    /// the entry then lives for <paramref name="ttl"/> (or the namespace TTL), as after a Put.
    /// </summary>
    Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken);

    Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken);
}
