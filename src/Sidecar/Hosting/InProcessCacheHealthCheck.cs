using CacheSidecar.CacheTier;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSidecar.Hosting;

/// <summary>The "cache" check of the embedded default: the in-process tier is always there.</summary>
internal sealed class InProcessCacheHealthCheck(ICacheTier cache) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy(cache.Description));
}
