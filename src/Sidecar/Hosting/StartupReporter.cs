using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using CacheSidecar.Store;

namespace CacheSidecar.Hosting;

/// <summary>Writes the start-up lines: which cache tier and store are in use, and each namespace's policy.</summary>
internal sealed class StartupReporter(ICacheTier cache, IRecordStore store, NamespaceRegistry namespaces, ILogger<StartupReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var all = namespaces.All.ToList();
        SidecarLog.Starting(logger, cache.Description, store.Description, all.Count);
        if (cache is InMemoryCacheTier || store is SqliteRecordStore)
        {
            SidecarLog.EmbeddedMode(logger, cache.Description, store.Description);
        }

        foreach (var ns in all)
        {
            var strategy = ns.Strategy.ToString();
            SidecarLog.NamespaceConfigured(logger, ns.Name, strategy, ns.Ttl, ns.Collection ?? "(none: pure cache)");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
