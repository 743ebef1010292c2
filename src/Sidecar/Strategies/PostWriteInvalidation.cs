using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// The cache step around a synchronous store write (cache-aside, write-through), and what happens when
/// Redis cannot be used: <see cref="CacheUnreachableBehavior.UseStore"/> acknowledges the (already
/// persisted) write and defers the invalidation; <see cref="CacheUnreachableBehavior.Fail"/> refuses the
/// write up front, and answers UNAVAILABLE when the cache step fails after the store took it.
/// </summary>
internal static class PostWriteInvalidation
{
    /// <summary>Under <c>OnCacheUnreachable: Fail</c>, refuses a write before it reaches the store.</summary>
    public static async Task EnsureCacheUsableAsync(ICacheTier cache, NamespacePolicy ns)
    {
        if (ns.OnCacheUnreachable == CacheUnreachableBehavior.Fail
            && !await cache.IsUsableAsync().ConfigureAwait(false))
        {
            throw new SidecarUnavailableException(
                $"The cache tier (Redis) is unreachable from this instance; namespace '{ns.Name}' refuses writes "
                + "until it is back (OnCacheUnreachable: Fail). Nothing was written.");
        }
    }

    /// <param name="writtenVersion">
    /// The version the write left in the store, when it is known: the invalidation then leaves it
    /// as the version floor, so no older version-guarded set can install after it.
    /// </param>
    public static async Task InvalidateAsync(ICacheTier cache, NamespacePolicy ns, string key, ILogger logger,
        long? writtenVersion = null)
    {
        try
        {
            // Not the caller's token: once the store write is done the invalidation must run
            // even if the caller gives up, or a stale entry could outlive the write.
            await (writtenVersion is { } version
                ? cache.InvalidateOlderAsync(ns, key, version, CancellationToken.None)
                : cache.InvalidateAsync(ns, key, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            CacheStepFailed(ns, ex, logger);
        }
    }

    /// <summary>
    /// A cache step after the store write failed. The tier has remembered the partition (its generation
    /// is bumped when Redis is back); under <c>Fail</c> the caller is told the write is not acknowledged.
    /// </summary>
    public static void CacheStepFailed(NamespacePolicy ns, CacheUnavailableException ex, ILogger logger)
    {
        SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
        if (ns.OnCacheUnreachable == CacheUnreachableBehavior.Fail)
        {
            throw new SidecarUnavailableException(
                $"The write reached the store, but its cache step could not reach Redis; namespace '{ns.Name}' "
                + "does not acknowledge it (OnCacheUnreachable: Fail). It may be applied: retry it.", ex);
        }
    }
}
