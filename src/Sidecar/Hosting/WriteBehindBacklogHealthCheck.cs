using CacheSidecar.Configuration;
using CacheSidecar.WriteBehind;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSidecar.Hosting;

/// <summary>
/// Unhealthy (not ready) while a write-behind namespace's backlog is at its MaxBacklog: Puts would be refused.
/// </summary>
internal sealed class WriteBehindBacklogHealthCheck(NamespaceRegistry namespaces, WriteBehindMetrics metrics)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        var full = namespaces.All
            .Where(ns => ns.Strategy == CacheStrategy.WriteBehind
                && metrics.LastBacklog(ns.Name) >= ns.WriteBehind.MaxBacklog)
            .Select(ns => ns.Name)
            .ToList();
        return Task.FromResult(full.Count == 0
            ? HealthCheckResult.Healthy("write-behind backlogs under MaxBacklog")
            : HealthCheckResult.Unhealthy($"write-behind backlog at MaxBacklog in: {string.Join(", ", full)}"));
    }
}
