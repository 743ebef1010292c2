using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Redis;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.ChangeStreams;

/// <summary>
/// Runs a <see cref="NamespaceWatcher"/> for every namespace with <c>Invalidation: ChangeStream</c>.
/// Every instance runs one; the Redis lease decides which of them follows each stream.
/// </summary>
internal sealed class ChangeStreamWatcher(
    NamespaceRegistry namespaces,
    RedisConnection redis,
    IChangeFeed feed,
    ICacheTier cache,
    IInvalidationBroadcast broadcast,
    ChangeStreamMetrics metrics,
    ILogger<ChangeStreamWatcher> logger) : BackgroundService
{
    /// <summary>This instance's name in every lease it holds.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(namespaces.All
            .Where(ns => ns.Invalidation == InvalidationMode.ChangeStream)
            .Select(ns => new NamespaceWatcher(
                    ns, new WatcherLease(redis, ns, InstanceId), feed, cache, broadcast, metrics, logger)
                .RunAsync(stoppingToken)));
}
