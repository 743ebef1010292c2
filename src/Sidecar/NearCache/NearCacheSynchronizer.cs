using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.NearCache;

/// <summary>
/// Starts the near-cache subscriptions with the host and runs each followed namespace's sequence
/// check every <see cref="NearCacheOptions.ResyncInterval"/> (on the injected <see cref="TimeProvider"/>,
/// so tests drive it with fake time).
/// </summary>
internal sealed class NearCacheSynchronizer(
    NearCacheBus bus,
    NamespaceRegistry namespaces,
    TimeProvider time,
    ILogger<NearCacheSynchronizer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var ns in namespaces.All.Where(ns => ns.NearCache.Enabled))
        {
            var l1 = ns.NearCache;
            SidecarLog.NearCacheEnabled(logger, ns.Name, l1.MaxEntries, l1.MaxBytes, l1.Ttl, l1.ResyncInterval);
        }

        if (!bus.HasFeeds)
        {
            return;
        }

        await bus.StartAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(bus.NextCheckIn(), time, stoppingToken).ConfigureAwait(false);
                await bus.CheckDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
