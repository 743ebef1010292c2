using CacheSidecar.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSidecar.Hosting;

/// <summary>The "cache" check over Redis: healthy while Redis answers a PING (outside the circuit breaker).</summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken)
                .ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }
}
