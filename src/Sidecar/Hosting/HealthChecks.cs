using CacheSidecar.CacheTier;
using CacheSidecar.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSidecar.Hosting;

/// <summary>Healthy while the cache tier answers (always, for the in-process tier).</summary>
internal sealed class CacheTierHealthCheck(ICacheTier cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (cache is not RedisCacheTier redis)
        {
            return HealthCheckResult.Healthy(cache.Description);
        }

        try
        {
            var latency = await redis.Connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }
}

/// <summary>Healthy while the store answers a point read.</summary>
internal sealed class StoreHealthCheck(IRecordStore store, Configuration.NamespaceRegistry namespaces) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
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

/// <summary>Unhealthy (not ready) while a write-behind namespace's backlog is at its MaxBacklog: Puts would be refused.</summary>
internal sealed class WriteBehindBacklogHealthCheck(Configuration.NamespaceRegistry namespaces, WriteBehind.WriteBehindMetrics metrics) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var full = namespaces.All
            .Where(ns => ns.Strategy == Configuration.CacheStrategy.WriteBehind && metrics.LastBacklog(ns.Name) >= ns.WriteBehind.MaxBacklog)
            .Select(ns => ns.Name)
            .ToList();
        return Task.FromResult(full.Count == 0
            ? HealthCheckResult.Healthy("write-behind backlogs under MaxBacklog")
            : HealthCheckResult.Unhealthy($"write-behind backlog at MaxBacklog in: {string.Join(", ", full)}"));
    }
}
