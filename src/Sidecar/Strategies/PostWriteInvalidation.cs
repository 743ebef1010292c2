using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;

namespace CacheSidecar.Strategies;

/// <summary>Post-write cache invalidation that never fails the (already persisted) write.</summary>
internal static class PostWriteInvalidation
{
    public static async Task InvalidateAsync(ICacheTier cache, NamespacePolicy ns, string key, ILogger logger)
    {
        try
        {
            // Not the caller's token: once the store write is done the invalidation must run
            // even if the caller gives up, or a stale entry could outlive the write.
            await cache.InvalidateAsync(ns, key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // The tier remembers the partition and bumps its generation when Redis is back.
            SidecarLog.InvalidationDeferred(logger, ns.Name, ex.Message);
        }
    }
}
