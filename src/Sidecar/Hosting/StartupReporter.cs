using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Hosting;

/// <summary>
/// Writes the start-up lines: which cache tier and store are in use (and what the embedded default
/// changes), each namespace's policy, and a warning for every endpoint that listens beyond loopback
/// (allowed explicitly, see <see cref="ListenAddressValidator"/>).
/// </summary>
internal sealed class StartupReporter(
    DeploymentMode mode,
    ICacheTier cache,
    IRecordStore store,
    NamespaceRegistry namespaces,
    IConfiguration configuration,
    IOptions<SidecarOptions> options,
    ILogger<StartupReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var all = namespaces.All.ToList();
        SidecarLog.Starting(logger, cache.Description, store.Description, all.Count);
        if (!mode.UsesRedis || !mode.UsesMongo)
        {
            SidecarLog.EmbeddedMode(logger, cache.Description, store.Description);
        }

        if (!mode.UsesRedis)
        {
            // §7: without Redis, write-behind runs as write-through and there is no near-cache.
            foreach (var ns in all.Where(ns => ns.Strategy == CacheStrategy.WriteBehind))
            {
                SidecarLog.WriteBehindEmbedded(logger, ns.Name);
            }

            foreach (var ns in all.Where(ns => ns.NearCache.Enabled))
            {
                SidecarLog.NearCacheIgnored(logger, ns.Name);
            }
        }

        foreach (var ns in all)
        {
            var strategy = ns.Strategy.ToString();
            SidecarLog.NamespaceConfigured(logger, ns.Name, strategy, ns.Ttl, ns.Collection ?? "(none: pure cache)");
        }

        var auth = options.Value.Auth;
        var tokenRequired = !string.IsNullOrEmpty(auth.Token) || !string.IsNullOrEmpty(auth.TokenFile);
        foreach (var address in ListenAddresses.NonLoopback(configuration))
        {
            SidecarLog.NonLoopbackBinding(
                logger, address.Source, address.Url, ListenAddresses.AllowOption, tokenRequired);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
