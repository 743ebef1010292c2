using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.ChangeStreams;

/// <summary>
/// Follows one namespace's change stream while this instance holds the namespace's lease
/// (DESIGN §10): every change invalidates its key unless the cache already holds the version it
/// wrote (the sidecar's own write), and the invalidations are broadcast to every instance's L1
/// like any write. The resume token is saved after each applied batch, so a successor resumes
/// where this one stopped; a token the store no longer knows leads to a namespace invalidation.
/// <para>
/// Lease timing is Redis time and the lag is wall-clock time, so this class uses the system
/// clock, not the injected one.
/// </para>
/// </summary>
internal sealed class NamespaceWatcher(
    NamespacePolicy ns,
    WatcherLease lease,
    IChangeFeed feed,
    ICacheTier cache,
    IInvalidationBroadcast broadcast,
    ChangeStreamMetrics metrics,
    ILogger logger)
{
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>
    /// Set when changes may have been missed: the namespace is invalidated once the new stream is open.
    /// </summary>
    private bool _invalidateWhenOpen;

    private TimeSpan Third => ns.ChangeStream.LeasePeriod / 3;

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await lease.TryAcquireAsync(stopping).ConfigureAwait(false))
                {
                    await WatchWhileHoldingAsync(stopping).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(Third, Clock, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (ChangeHistoryLostException ex)
            {
                metrics.HistoryLost(ns.Name);
                SidecarLog.WatcherStartsAfresh(logger, ns.Name, ex.Message);
                _invalidateWhenOpen = true;
                await ForgetTokenAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Redis or the store unreachable, or the stream refused (not a replica set): the
                // serving path must not stop for it; log, wait, and try again.
                SidecarLog.WatcherStopped(logger, ns.Name, ex.Message);
                await PauseAsync(stopping).ConfigureAwait(false);
            }
            finally
            {
                metrics.Watching(ns.Name, holding: false);
            }
        }

        await ReleaseAsync().ConfigureAwait(false);
    }

    private async Task WatchWhileHoldingAsync(CancellationToken stopping)
    {
        metrics.Watching(ns.Name, holding: true);
        using var holding = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var renewing = RenewWhileHoldingAsync(holding);
        try
        {
            var token = await lease.ReadTokenAsync(holding.Token).ConfigureAwait(false);
            if (token is not null)
            {
                metrics.Resumed(ns.Name);
            }
            else
            {
                // No token: nobody followed this stream before (or its history was lost). Entries
                // cached meanwhile may predate changes nobody saw, so they go once the stream is open.
                _invalidateWhenOpen = true;
            }

            SidecarLog.WatcherStarted(logger, ns.Name, token is null ? "from now" : "resuming from its saved token");
            await foreach (var batch in feed.FollowAsync(ns, token, holding.Token).ConfigureAwait(false))
            {
                if (_invalidateWhenOpen)
                {
                    // The new stream is open: anything committed before this point is covered here.
                    await InvalidateNamespaceAsync().ConfigureAwait(false);
                    _invalidateWhenOpen = false;
                }

                await ApplyAsync(batch.Changes).ConfigureAwait(false);
                if (batch.CollectionReplaced)
                {
                    SidecarLog.WatcherStartsAfresh(logger, ns.Name, "the collection was dropped or renamed");
                    metrics.HistoryLost(ns.Name);
                    _invalidateWhenOpen = true;
                    await ForgetTokenAsync(holding.Token).ConfigureAwait(false);
                    return;
                }

                if (batch.ResumeToken is { } next
                    && !await lease.SaveTokenAsync(next, holding.Token).ConfigureAwait(false))
                {
                    SidecarLog.WatcherStopped(logger, ns.Name, "the lease passed to another instance");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            SidecarLog.WatcherStopped(logger, ns.Name, "the lease could not be renewed");
        }
        finally
        {
            await holding.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Renews the lease every third of its period; cancels <paramref name="holding"/> once it is lost.
    /// </summary>
    private async Task RenewWhileHoldingAsync(CancellationTokenSource holding)
    {
        while (!holding.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Third, Clock, holding.Token).ConfigureAwait(false);
                if (await lease.TryAcquireAsync(holding.Token).ConfigureAwait(false))
                {
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (CacheUnavailableException)
            {
                // Cut off from Redis: the invalidations cannot land either. Stop, and let an
                // instance that reaches Redis take over when the lease runs out.
            }

            await holding.CancelAsync().ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// Invalidates each changed key once per batch: a change of unknown version (another service's
    /// write) always drops the entry; a versioned one only if the cache holds an older version.
    /// </summary>
    private async Task ApplyAsync(IReadOnlyList<StoreChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var perKey = changes
            .GroupBy(change => change.Key, StringComparer.Ordinal)
            .Select(group => (
                Key: group.Key,
                Version: group.Any(change => change.Version is null) ? null : group.Max(change => change.Version),
                CommittedAt: group.Min(change => change.CommittedAt)))
            .ToList();
        // Not the lease's token: once read, a batch is applied in full even if the lease ends meanwhile.
        var invalidated = await Task.WhenAll(perKey.Select(change =>
                cache.InvalidateOlderAsync(ns, change.Key, change.Version, CancellationToken.None)))
            .ConfigureAwait(false);
        var now = Clock.GetUtcNow();
        var dropped = new List<string>();
        for (var i = 0; i < perKey.Count; i++)
        {
            metrics.Applied(ns.Name, invalidated[i], now - perKey[i].CommittedAt);
            if (invalidated[i])
            {
                dropped.Add(perKey[i].Key);
            }
        }

        if (dropped.Count > 0)
        {
            await broadcast.KeysChangedAsync(ns, dropped).ConfigureAwait(false);
        }
    }

    private async Task InvalidateNamespaceAsync()
    {
        await cache.InvalidateNamespaceAsync(ns, CancellationToken.None).ConfigureAwait(false);
        await broadcast.NamespaceChangedAsync(ns).ConfigureAwait(false);
    }

    private async Task ForgetTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await lease.ClearTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // The next holder may resume from the old token, fail the same way, and start afresh itself.
            SidecarLog.WatcherStopped(logger, ns.Name, ex.Message);
        }
    }

    private async Task PauseAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(Third, Clock, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>At shutdown: a standby instance takes over at once instead of after a lease period.</summary>
    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await lease.ReleaseAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CacheUnavailableException or OperationCanceledException)
        {
            // The lease runs out by itself.
        }
    }
}
