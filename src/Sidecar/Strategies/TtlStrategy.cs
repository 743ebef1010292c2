using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// TTL-based invalidation. With a store: Put writes the store and leaves the cache alone, so a
/// cached value may be served until its TTL runs out (freshness bounded by the TTL); reads go
/// through as in cache-aside. Without a store the namespace is a pure Redis cache: Put sets
/// the entry with its TTL and the cache assigns versions; Delete removes it.
/// </summary>
internal sealed class TtlStrategy(
    VersionedStoreWriter writer,
    ICacheTier cache,
    TimeProvider time,
    ILogger<TtlStrategy> logger) : IWriteStrategy
{
    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        if (ns.HasStore)
        {
            var version = await writer.WriteAsync(ns, request, cancellationToken).ConfigureAwait(false);
            return new WriteResult(version, Persisted: true, Queued: false);
        }

        var entry = new CacheEntry(
            request.Value, request.ContentType, 0, false, time.GetUtcNow() + EntryTtl.For(ns, request.Ttl),
            request.Tags);
        var result = await PureCache(
                () => cache.PutAssigningVersionAsync(
                    ns, request.Key, entry, request.IfMatch, request.IfAbsent, cancellationToken),
                ns)
            .ConfigureAwait(false);
        if (result.PreconditionFailed)
        {
            throw request.IfAbsent
                ? PreconditionFailedException.AlreadyExists(request.Key)
                : PreconditionFailedException.EtagMismatch(request.Key, request.IfMatch!.Value);
        }

        return new WriteResult(result.Version, Persisted: true, Queued: false);
    }

    /// <remarks>
    /// With a store: its atomic increment, and the cache is left alone as after a Put (a cached counter may
    /// be served until its TTL runs out). Without: one step in the cache.
    /// </remarks>
    public async Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken)
    {
        if (ns.HasStore)
        {
            var (value, version) = await writer.IncrementAsync(ns, key, delta, cancellationToken)
                .ConfigureAwait(false);
            return new IncrementResult(value, version, Persisted: true, Queued: false);
        }

        var expiresAt = time.GetUtcNow() + EntryTtl.For(ns, ttl);
        var result = await PureCache(
                () => cache.IncrementAssigningVersionAsync(ns, key, delta, expiresAt, cancellationToken),
                ns)
            .ConfigureAwait(false);
        return result.Status switch
        {
            IncrementStatus.Applied =>
                new IncrementResult(result.Value, result.Version, Persisted: true, Queued: false),
            IncrementStatus.Overflow => throw new CounterOverflowException(key, delta),
            _ => throw PreconditionFailedException.NotACounter(key),
        };
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        if (ns.HasStore)
        {
            var (deleted, _) = await writer.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
            await PostWriteInvalidation.InvalidateAsync(cache, ns, key, logger).ConfigureAwait(false);
            return new DeleteResult(deleted, Persisted: true, Queued: false);
        }

        var (preconditionFailed, removed) = await PureCache(
                () => cache.DeleteIfMatchAsync(ns, key, ifMatch, cancellationToken),
                ns)
            .ConfigureAwait(false);
        return preconditionFailed
            ? throw PreconditionFailedException.EtagMismatch(key, ifMatch!.Value)
            : new DeleteResult(removed, Persisted: true, Queued: false);
    }

    private static async Task<T> PureCache<T>(Func<Task<T>> operation, NamespacePolicy ns)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            throw new SidecarUnavailableException(
                $"The cache tier is unavailable and namespace '{ns.Name}' has no store.", ex);
        }
    }
}
