using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSidecar.Hosting;

/// <summary>Healthy while the store answers a point read.</summary>
internal sealed class StoreHealthCheck(IRecordStore store, NamespaceRegistry namespaces) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        var probe = namespaces.All.FirstOrDefault(ns => ns.HasStore);
        if (probe is null)
        {
            return HealthCheckResult.Healthy("no namespace has a store");
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await store.LoadAsync(probe, "__cachesidecar_health__", timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy(store.Description);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The store is unreachable", ex);
        }
    }
}
