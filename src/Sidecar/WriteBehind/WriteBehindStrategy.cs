using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using CacheSidecar.Strategies;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Write-behind (§4): Put and Delete are one atomic Redis step (cache entry + pending record +
/// log append) and are acknowledged after it; <see cref="WriteBehindFlusher"/> writes the store
/// later. Reads look at the pending record between the cache and the store
/// (<see cref="ReadsPendingWrites"/>), so a caller reads its own writes even after the cache
/// entry expired. Registered only over Redis; the embedded default runs write-through instead (§7).
/// </summary>
internal sealed class WriteBehindStrategy(
    RedisWriteBehindLog log,
    WriteThroughStrategy writeThrough,
    IRecordStore store,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    WriteBehindMetrics metrics,
    ILogger<WriteBehindStrategy> logger) : IWriteStrategy
{
    /// <summary>How often one write reads the store's state before it gives up (UNAVAILABLE).</summary>
    private const int MaxStoreReads = 8;

    public bool ReadsPendingWrites => true;

    public async Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request,
        CancellationToken cancellationToken)
    {
        var expiresAt = time.GetUtcNow() + EntryTtl.For(ns, request.Ttl);
        var write = new WriteBehindWrite(
            request.Key,
            request.Value,
            request.ContentType,
            IsTombstone: false,
            expiresAt,
            request.IfMatch,
            StoreVersionHint: null,
            request.IfAbsent,
            Tags: request.Tags);
        var result = await EnqueueAsync(ns, write, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            SidecarLog.WriteBehindDegraded(logger, ns.Name, "Put");
            return await writeThrough.PutAsync(ns, request, cancellationToken).ConfigureAwait(false);
        }

        return new WriteResult(result.Value.Version, Persisted: false, Queued: true);
    }

    /// <remarks>
    /// One Redis step for a counter Redis knows (pending record or entry): the step adds to the current
    /// value and enqueues the absolute sum, so the store sees coalesced values. A counter Redis does not
    /// know costs one store read first.
    /// </remarks>
    public async Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken)
    {
        var expiresAt = time.GetUtcNow() + EntryTtl.For(ns, ttl);
        var write = new WriteBehindWrite(
            key,
            ReadOnlyMemory<byte>.Empty,
            Counter.ContentType,
            IsTombstone: false,
            expiresAt,
            IfMatch: null,
            StoreVersionHint: null,
            IncrementBy: delta);
        var result = await EnqueueAsync(ns, write, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            SidecarLog.WriteBehindDegraded(logger, ns.Name, "Increment");
            return await writeThrough.IncrementAsync(ns, key, delta, ttl, cancellationToken).ConfigureAwait(false);
        }

        return new IncrementResult(result.Value.Sum, result.Value.Version, Persisted: false, Queued: true);
    }

    public async Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken)
    {
        // A delete is a tombstone through the same log: it is flushed in version order with the
        // key's writes, and a negative entry answers reads meanwhile.
        var expiresAt = time.GetUtcNow() + ns.NegativeTtl;
        var write = new WriteBehindWrite(
            key,
            ReadOnlyMemory<byte>.Empty,
            string.Empty,
            IsTombstone: true,
            expiresAt,
            ifMatch,
            StoreVersionHint: null);
        var result = await EnqueueAsync(ns, write, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            SidecarLog.WriteBehindDegraded(logger, ns.Name, "Delete");
            return await writeThrough.DeleteAsync(ns, key, ifMatch, cancellationToken).ConfigureAwait(false);
        }

        // Redis knew the key (pending record or cache entry) or it did not: then ask the store,
        // best effort, whether there was something to delete.
        var existed = result.Value.Existed
            ?? await ExistsInStoreAsync(ns, key, cancellationToken).ConfigureAwait(false);
        return new DeleteResult(existed, Persisted: false, Queued: true);
    }

    /// <summary>Returns null when Redis is down and the namespace degrades to write-through.</summary>
    private async Task<EnqueueResult?> EnqueueAsync(NamespacePolicy ns, WriteBehindWrite write,
        CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM: this instance is flushing what it holds; new writes belong to another instance.
            throw new SidecarUnavailableException(
                "The sidecar is shutting down and takes no more writes; retry on another instance.");
        }

        EnqueueResult result;
        try
        {
            result = await log.EnqueueAsync(ns, write, cancellationToken).ConfigureAwait(false);
            for (var reads = 0;
                 (result.Status is EnqueueStatus.NeedStoreVersion or EnqueueStatus.StaleStoreHint)
                 && reads < MaxStoreReads;
                 reads++)
            {
                // A condition or an Increment with nothing in Redis to go by: the store decides (no
                // pending record exists, so the store is the newest state of the key).
                result = await log.EnqueueAsync(ns, await WithStoreStateAsync(ns, write, cancellationToken)
                        .ConfigureAwait(false), cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        catch (CacheUnavailableException ex)
        {
            if (ns.OnCacheDown == CacheDownBehavior.WriteThrough)
            {
                return null;
            }

            throw new SidecarUnavailableException(
                $"Write-behind needs Redis, which is unavailable; namespace '{ns.Name}' is configured to fail "
                    + "(OnCacheDown: Fail).",
                ex);
        }

        switch (result.Status)
        {
            case EnqueueStatus.PreconditionFailed when write.IfAbsent:
                throw PreconditionFailedException.AlreadyExists(write.Key);
            case EnqueueStatus.PreconditionFailed:
                throw PreconditionFailedException.EtagMismatch(write.Key, write.IfMatch ?? 0);
            case EnqueueStatus.NotACounter:
                throw PreconditionFailedException.NotACounter(write.Key);
            case EnqueueStatus.Overflow:
                throw new CounterOverflowException(write.Key, write.IncrementBy ?? 0);
            case EnqueueStatus.NeedStoreVersion:
            case EnqueueStatus.StaleStoreHint:
                throw new SidecarUnavailableException(
                    $"Key '{write.Key}' changed in the store during each of {MaxStoreReads} attempts; retry.");
            case EnqueueStatus.BacklogFull:
                metrics.BacklogFull(ns.Name);
                throw new BacklogFullException(
                    $"Namespace '{ns.Name}' has {ns.WriteBehind.MaxBacklog} unflushed writes (MaxBacklog); "
                        + "nothing was written. Retry later.");
        }

        metrics.Enqueued(ns.Name);
        await WaitForReplicasAsync(ns, write.Key, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>The write with the store's state of its key: its version (also a tombstone's) and live value.</summary>
    private async Task<WriteBehindWrite> WithStoreStateAsync(NamespacePolicy ns, WriteBehindWrite write,
        CancellationToken cancellationToken)
    {
        var stored = await store.LoadAsync(ns, write.Key, cancellationToken).ConfigureAwait(false);
        var version = stored?.Version
            ?? await store.LoadVersionAsync(ns, write.Key, cancellationToken).ConfigureAwait(false)
            ?? 0;
        return write with { StoreVersionHint = version, StoreValue = stored };
    }

    private async Task WaitForReplicasAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var wanted = ns.WriteBehind.WaitForReplicas;
        if (wanted == 0)
        {
            return;
        }

        var confirmed = await log.WaitForReplicasAsync(ns, key, wanted, ns.WriteBehind.WaitTimeout, cancellationToken)
            .ConfigureAwait(false);
        if (confirmed < wanted)
        {
            throw new SidecarUnavailableException(
                $"The write reached the Redis primary but only {confirmed} of {wanted} replica(s) confirmed it "
                    + $"within {ns.WriteBehind.WaitTimeout}; "
                    + "it will still be flushed unless the primary fails before replicating.");
        }
    }

    private async Task<bool> ExistsInStoreAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await store.LoadAsync(ns, key, cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (StoreUnavailableException)
        {
            // The delete is queued either way; only the "was there something" answer is unknown.
            return false;
        }
    }
}
