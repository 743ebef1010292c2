using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>
/// One strategy as the API sees it: the shared read path (<see cref="ReadThroughReader"/>), the
/// strategy's own writes (<see cref="IWriteStrategy"/>), and cache-only invalidations; every write
/// and invalidation is then broadcast (<see cref="IInvalidationBroadcast"/>).
/// </summary>
internal sealed class StrategyPipeline(
    ReadThroughReader reader,
    IWriteStrategy writes,
    ICacheTier cache,
    IInvalidationBroadcast broadcast) : ICacheStrategy
{
    public Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        reader.ReadAsync(ns, key, writes.ReadsPendingWrites, cancellationToken);

    public Task<ReadResult[]> BatchGetAsync(NamespacePolicy ns, IReadOnlyList<string> keys,
        CancellationToken cancellationToken) =>
        reader.ReadManyAsync(ns, keys, writes.ReadsPendingWrites, cancellationToken);

    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        try
        {
            return await writes.PutAsync(ns, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await broadcast.KeysChangedAsync(ns, [request.Key]).ConfigureAwait(false);
        }
    }

    public async Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken)
    {
        try
        {
            return await writes.IncrementAsync(ns, key, delta, ttl, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await broadcast.KeysChangedAsync(ns, [key]).ConfigureAwait(false);
        }
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        try
        {
            return await writes.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await broadcast.KeysChangedAsync(ns, [key]).ConfigureAwait(false);
        }
    }

    /// <remarks>
    /// Unlike post-write invalidations, these fail (UNAVAILABLE) when the cache tier is down: the
    /// caller asked for nothing else and should know it did not happen. Listed keys go out in one
    /// pipelined burst. The broadcast runs even when the Redis step fails.
    /// </remarks>
    public async Task<int> InvalidateAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            var dropped = await Task.WhenAll(distinct.Select(key => cache.InvalidateAsync(ns, key, cancellationToken)))
                .ConfigureAwait(false);
            return dropped.Count(wasCached => wasCached);
        }
        finally
        {
            await broadcast.KeysChangedAsync(ns, distinct).ConfigureAwait(false);
        }
    }

    /// <remarks>
    /// Cache-only, like Invalidate, and the same for every strategy: the value and its version stay. A
    /// near cache may hold the value with the old expiry, so a touched key is broadcast like a write.
    /// </remarks>
    public async Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl,
        CancellationToken cancellationToken)
    {
        var remaining = await cache.TouchAsync(ns, key, ttl, cancellationToken).ConfigureAwait(false);
        if (remaining is not null)
        {
            await broadcast.KeysChangedAsync(ns, [key]).ConfigureAwait(false);
        }

        return remaining;
    }

    /// <remarks>
    /// Fails (UNAVAILABLE) when the cache tier is down, like Invalidate. Near caches do not index tags, so
    /// every instance drops its whole near cache of the namespace: coarse, but never serves a tagged value.
    /// </remarks>
    public async Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags,
        CancellationToken cancellationToken)
    {
        try
        {
            await cache.InvalidateTagsAsync(ns, tags, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await broadcast.TagsChangedAsync(ns, tags).ConfigureAwait(false);
        }
    }

    public async Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken)
    {
        try
        {
            await cache.InvalidateNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await broadcast.NamespaceChangedAsync(ns).ConfigureAwait(false);
        }
    }
}
