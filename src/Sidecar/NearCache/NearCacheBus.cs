using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using System.Globalization;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Redis;
using CacheSidecar.Strategies;
using CacheSidecar.Telemetry;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSidecar.NearCache;

/// <summary>
/// Keeps every instance's L1 (<see cref="NamespaceNearCache"/>) coherent through Redis.
/// <list type="bullet">
/// <item>A write (Put, Delete, Invalidate) on any instance drops the key from its own L1, then runs
/// one Lua step that increments the namespace's invalidation counter and publishes
/// <c>namespace \n sequence \n key…</c> on the deployment's channel; the write returns after that.</item>
/// <item>Every instance applies each message to its L1. A gap in the sequence (a message lost)
/// clears the namespace's L1.</item>
/// <item>Messages can be lost without a gap showing (the last ones before a disconnect), so each
/// instance also compares its applied sequence with the counter in Redis every
/// <see cref="NearCacheOptions.ResyncInterval"/>, and clears on a difference.</item>
/// <item>While the connection is down, or a check failed, the L1 neither serves nor stores.</item>
/// </list>
/// Registered only over Redis: the embedded in-process tier is already local memory.
/// </summary>
internal sealed class NearCacheBus : IInvalidationBroadcast, IDisposable
{
    private readonly RedisConnection _redis;
    private readonly FrozenDictionary<string, NamespaceNearCache> _caches;
    private readonly RedisChannel _channel;
    private readonly SidecarMetrics _metrics;
    private readonly ILogger<NearCacheBus> _logger;
    private readonly TimeProvider _time;

    // Namespaces whose invalidation could not be published: a whole-namespace clear is published
    // for each on the next check, so other instances drop what the lost message should have.
    private readonly ConcurrentDictionary<string, NamespacePolicy> _unpublished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _nextCheck = new(StringComparer.Ordinal);

    public NearCacheBus(RedisConnection redis, NamespaceRegistry namespaces, TimeProvider time, SidecarMetrics metrics,
        ILogger<NearCacheBus> logger)
    {
        _redis = redis;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _channel = RedisKeyLayout.NearCacheChannel(redis.KeyPrefix);
        _caches = namespaces.All.Where(ns => ns.NearCache.Enabled)
            .ToFrozenDictionary(ns => ns.Name, ns => new NamespaceNearCache(ns, time), StringComparer.Ordinal);
        metrics.ObserveNearCache(
            () => _caches.Values.Select(c =>
                new Measurement<long>(c.Count, new KeyValuePair<string, object?>("namespace", c.Namespace))),
            () => _caches.Values.Select(c =>
                new Measurement<long>(c.ChargedBytes, new KeyValuePair<string, object?>("namespace", c.Namespace))));
    }

    /// <summary>The namespaces with an active L1 on this instance.</summary>
    public IReadOnlyCollection<NamespaceNearCache> Caches => _caches.Values;

    /// <summary>The namespace's L1, or null when it has none.</summary>
    public NamespaceNearCache? For(NamespacePolicy ns) =>
        ns.NearCache.Enabled && _caches.TryGetValue(ns.Name, out var l1) ? l1 : null;

    /// <summary>Subscribes and syncs every namespace; until a namespace is synced its L1 is bypassed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_caches.Count == 0)
        {
            return;
        }

        _redis.ConnectionFailed += (_, e) => OnConnectionLost(e.ConnectionType);
        _redis.ConnectionRestored += (_, _) => _ = CheckAllAsync(CancellationToken.None);
        try
        {
            await _redis.Subscriber.SubscribeAsync(_channel, (_, message) => OnMessage(message))
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis is down at start: SubscribeAsync registered the handler and StackExchange.Redis
            // subscribes when it connects; until a check succeeds nothing is served from L1.
            SidecarLog.NearCacheCheckFailed(_logger, "*", ex.GetType().Name);
        }

        await CheckAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops <paramref name="keys"/> here at once, then tells every instance.</summary>
    public Task KeysChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys)
    {
        var l1 = For(ns);
        if (l1 is null)
        {
            return Task.CompletedTask;
        }

        foreach (var key in keys)
        {
            l1.Invalidate(key);
        }

        // "\n<key>" per key: keys cannot contain control characters (validated).
        return PublishAsync(ns, string.Concat(keys.Select(key => "\n" + key)));
    }

    /// <summary>Clears the namespace here at once, then on every instance.</summary>
    public Task NamespaceChangedAsync(NamespacePolicy ns)
    {
        var l1 = For(ns);
        if (l1 is null)
        {
            return Task.CompletedTask;
        }

        l1.Clear(stopServing: false);
        return PublishAsync(ns, string.Empty);
    }

    /// <summary>How long until the next namespace is due for its sequence check.</summary>
    public TimeSpan NextCheckIn()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var next = _caches.Values.Min(c => _nextCheck.GetValueOrDefault(c.Namespace, now));
        return TimeSpan.FromTicks(Math.Max(0, next - now));
    }

    /// <summary>Checks every namespace that is due (or all, at start and after a reconnect).</summary>
    public async Task CheckDueAsync(CancellationToken cancellationToken, bool all = false)
    {
        var now = _time.GetUtcNow().UtcTicks;
        foreach (var l1 in _caches.Values)
        {
            if (all || _nextCheck.GetValueOrDefault(l1.Namespace, now) <= now)
            {
                _nextCheck[l1.Namespace] = now + l1.Policy.ResyncInterval.Ticks;
                await CheckAsync(l1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        foreach (var l1 in _caches.Values)
        {
            l1.Dispose();
        }
    }

    private Task CheckAllAsync(CancellationToken cancellationToken) => CheckDueAsync(cancellationToken, all: true);

    private async Task CheckAsync(NamespaceNearCache l1, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            // ConnectionFailed has already cleared; repeat in case this instance missed it.
            if (l1.InSync)
            {
                l1.Clear(stopServing: true);
                _metrics.NearCacheCleared(l1.Namespace, "disconnected");
            }

            return;
        }

        try
        {
            if (_unpublished.TryRemove(l1.Namespace, out var unpublishedNs))
            {
                await PublishAsync(unpublishedNs, string.Empty).ConfigureAwait(false);
            }

            var ns = unpublishedNs ?? l1.NamespacePolicy;
            var counter = await _redis.ExecuteAsync(
                    db => db.StringGetAsync(RedisKeyLayout.NearCacheSequence(ns)),
                    cancellationToken)
                .ConfigureAwait(false);
            var sequence = counter.IsNull ? 0 : (long)counter;
            var wasInSync = l1.InSync;
            if (l1.Resync(sequence) && wasInSync)
            {
                // In sync before and behind now: a message was lost without a gap showing.
                _metrics.NearCacheCleared(l1.Namespace, "behind");
                SidecarLog.NearCacheBehind(_logger, l1.Namespace, sequence);
            }
        }
        catch (CacheUnavailableException ex)
        {
            if (l1.InSync)
            {
                l1.Clear(stopServing: true);
                _metrics.NearCacheCleared(l1.Namespace, "check_failed");
                SidecarLog.NearCacheCheckFailed(_logger, l1.Namespace, ex.Message);
            }
        }
    }

    private async Task PublishAsync(NamespacePolicy ns, string keysPayload)
    {
        try
        {
            // Not the caller's token: the write this follows has happened and must be announced.
            await _redis.ExecuteAsync(
                db => PublishInvalidationScript.RunAsync(
                    db, RedisKeyLayout.NearCacheSequence(ns), _channel, ns.Name, keysPayload),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // Other instances may still hold the value; the next check publishes a clear.
            _unpublished[ns.Name] = ns;
            SidecarLog.NearCachePublishFailed(_logger, ns.Name, ex.Message);
        }
    }

    private void OnMessage(RedisValue message)
    {
        var text = (string?)message;
        if (text is null)
        {
            return;
        }

        var parts = text.Split('\n');
        if (parts.Length < 2 || !_caches.TryGetValue(parts[0], out var l1)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return; // another namespace (no L1 here), or not ours
        }

        _metrics.NearCacheInvalidation(l1.Namespace);
        var keys = parts.Length == 2 ? [] : parts.AsSpan(2).ToArray();
        if (l1.ApplyInvalidation(sequence, keys))
        {
            _metrics.NearCacheCleared(l1.Namespace, "gap");
        }
        else if (keys.Length == 0)
        {
            _metrics.NearCacheCleared(l1.Namespace, "namespace_invalidated");
        }
    }

    private void OnConnectionLost(ConnectionType connectionType)
    {
        // Either connection: pub/sub messages may travel on either (RESP3), and a lost
        // interactive connection means the checks fail too. Stop serving until the next check.
        foreach (var l1 in _caches.Values)
        {
            l1.Clear(stopServing: true);
            _metrics.NearCacheCleared(l1.Namespace, "disconnected");
        }

        SidecarLog.NearCacheDisconnected(_logger, connectionType.ToString());
    }
}
