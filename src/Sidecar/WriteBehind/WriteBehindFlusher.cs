using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Runs one <see cref="NamespaceFlusher"/> per write-behind namespace (registered only over Redis), and samples each
/// namespace's backlog for the metrics. On shutdown it stops reading new entries, flushes what
/// this instance holds until the host's shutdown timeout, and leaves the rest in Redis, where
/// other instances reclaim it.
/// </summary>
internal sealed class WriteBehindFlusher(
    RedisWriteBehindLog log,
    IRecordStore store,
    NamespaceRegistry namespaces,
    IOptions<SidecarOptions> options,
    WriteBehindMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    IInvalidationBroadcast broadcast) : BackgroundService
{
    private static readonly TimeSpan BacklogSampleInterval = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger = loggerFactory.CreateLogger<WriteBehindFlusher>();
    private readonly CancellationTokenSource _drainDeadline = new();

    /// <summary>This instance's name in the consumer group.</summary>
    public string ConsumerName { get; } = options.Value.WriteBehind.ConsumerName is { Length: > 0 } name
        ? name
        : $"{Environment.MachineName}-{Environment.ProcessId}";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host's shutdown timeout bounds the final flush: when it fires, stop draining.
        await using var registration = cancellationToken.Register(_drainDeadline.Cancel);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _drainDeadline.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writeBehind = namespaces.All.Where(ns => ns.Strategy == CacheStrategy.WriteBehind).ToList();
        if (writeBehind.Count == 0)
        {
            return;
        }

        // Let the host finish starting before the first Redis round trip.
        await Task.Yield();
        await WarnIfRedisMayEvictAsync().ConfigureAwait(false);
        var loops = writeBehind.Select(ns => SampleBacklogAsync(ns, stoppingToken)).ToList();
        if (options.Value.WriteBehind.RunFlushers)
        {
            loops.AddRange(writeBehind.Select(ns =>
                new NamespaceFlusher(
                    ns,
                    ConsumerName,
                    log,
                    store,
                    metrics,
                    time,
                    loggerFactory.CreateLogger<NamespaceFlusher>(),
                    broadcast)
                    .RunAsync(stoppingToken, _drainDeadline.Token)));
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task SampleBacklogAsync(NamespacePolicy ns, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (length, oldest) = await log.BacklogAsync(ns, stoppingToken).ConfigureAwait(false);
                metrics.BacklogSampled(ns.Name, length, oldest is { } at ? DateTimeOffset.UtcNow - at : TimeSpan.Zero);
            }
            catch (CacheUnavailableException)
            {
                // Keep the last sample; the cache health check reports the outage.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(BacklogSampleInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// An <c>allkeys-*</c> eviction policy lets Redis drop pending records: say so loudly at start-up.
    /// </summary>
    private async Task WarnIfRedisMayEvictAsync()
    {
        try
        {
            foreach (var endpoint in log.Connection.EndPoints())
            {
                // INFO, not CONFIG GET: it needs no admin mode and managed Redis services allow it.
                var server = log.Connection.Server(endpoint);
                var memory = await server.InfoAsync("memory").ConfigureAwait(false);
                var policy = memory.SelectMany(group => group)
                    .FirstOrDefault(pair => pair.Key == "maxmemory_policy").Value;
                if (policy is not null && policy.StartsWith("allkeys-", StringComparison.Ordinal))
                {
                    SidecarLog.WriteBehindEvictionRisk(_logger, policy);
                }
            }
        }
        catch (Exception ex) when (ex is RedisException
            or RedisCommandException
            or TimeoutException
            or InvalidOperationException)
        {
            // Redis down or INFO refused: nothing to check now.
        }
    }
}
