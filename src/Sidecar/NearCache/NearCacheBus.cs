using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Invalidations;
using CacheSidecar.Logging;
using CacheSidecar.Redis;
using CacheSidecar.Strategies;
using CacheSidecar.Telemetry;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSidecar.NearCache;

/// <summary>
/// Carries every instance's invalidations through Redis to the L1s (<see cref="NamespaceNearCache"/>) and
/// the <c>WatchInvalidations</c> streams of every instance, one <see cref="NamespaceFeed"/> per namespace
/// that publishes (<see cref="NamespacePolicy.PublishesInvalidations"/>).
/// <list type="bullet">
/// <item>A write (Put, Delete, Invalidate, InvalidateTags) on any instance drops the key from its own L1,
/// then runs one Lua step that increments the namespace's invalidation counter and publishes
/// <c>sequence \n kind \n item…</c> on the namespace's sharded channel; the write returns after that.</item>
/// <item>An instance subscribes only to the namespaces it follows: those with an L1 (from start) and
/// those with a watcher (while it has one). On a cluster, SSUBSCRIBE/SPUBLISH keep each message on the
/// shard that owns the namespace instead of broadcasting it over the whole cluster bus.</item>
/// <item>Messages can be lost without a gap showing (the last ones before a disconnect), so each followed
/// namespace also compares its applied sequence with the counter in Redis every
/// <see cref="NearCacheOptions.ResyncInterval"/> (<see cref="NamespaceFeed.Resync"/>).</item>
/// <item>While the connection is down, or a check failed, the L1 neither serves nor stores and watchers
/// have been told Reset.</item>
/// </list>
/// Registered only over Redis: in embedded mode <see cref="LocalInvalidationFeed"/> feeds the watchers.
/// </summary>
internal sealed class NearCacheBus : IInvalidationBroadcast, IInvalidationFeed, IDisposable
{
    /// <summary>How long a check waits for messages published before it read the counter.</summary>
    private static readonly TimeSpan InFlightGrace = TimeSpan.FromMilliseconds(200);

    private readonly RedisConnection _redis;
    private readonly FrozenDictionary<string, NamespaceFeed> _feeds;
    private readonly FrozenDictionary<string, NamespaceNearCache> _caches;
    private readonly FrozenDictionary<string, SemaphoreSlim> _subscriptionGates;
    private readonly ConcurrentDictionary<string, bool> _subscribed = new(StringComparer.Ordinal);
    private readonly SidecarMetrics _metrics;
    private readonly ILogger<NearCacheBus> _logger;
    private readonly TimeProvider _time;
    private int _started;

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
        var publishing = namespaces.All.Where(ns => ns.PublishesInvalidations).ToArray();
        _caches = publishing.Where(ns => ns.NearCache.Enabled)
            .ToFrozenDictionary(ns => ns.Name, ns => new NamespaceNearCache(ns, time), StringComparer.Ordinal);
        _feeds = publishing.ToFrozenDictionary(
            ns => ns.Name, ns => new NamespaceFeed(ns, _caches.GetValueOrDefault(ns.Name)), StringComparer.Ordinal);
        _subscriptionGates = publishing.ToFrozenDictionary(ns => ns.Name, _ => new SemaphoreSlim(1, 1),
            StringComparer.Ordinal);
        metrics.ObserveNearCache(
            () => _caches.Values.Select(c =>
                new Measurement<long>(c.Count, new KeyValuePair<string, object?>("namespace", c.Namespace))),
            () => _caches.Values.Select(c =>
                new Measurement<long>(c.ChargedBytes, new KeyValuePair<string, object?>("namespace", c.Namespace))));
        metrics.ObserveWatchers(() => _feeds.Values.Where(f => f.WatcherCount > 0).Select(f =>
            new Measurement<long>(f.WatcherCount, new KeyValuePair<string, object?>("namespace", f.Namespace))));
    }

    /// <summary>The namespaces with an active L1 on this instance.</summary>
    public IReadOnlyCollection<NamespaceNearCache> Caches => _caches.Values;

    /// <summary>True when some namespace publishes, so the bus has work (checks, subscriptions).</summary>
    public bool HasFeeds => _feeds.Count > 0;

    /// <summary>The namespace's L1, or null when it has none.</summary>
    public NamespaceNearCache? For(NamespacePolicy ns) =>
        ns.NearCache.Enabled && _caches.TryGetValue(ns.Name, out var l1) ? l1 : null;

    /// <summary>True while this instance is subscribed to the namespace's channel.</summary>
    public bool IsSubscribed(string ns) => _subscribed.ContainsKey(ns);

    /// <summary>Subscribes and syncs every namespace with an L1; until it is synced its L1 is bypassed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        _redis.ConnectionFailed += (_, e) => OnConnectionLost(e.ConnectionType);
        _redis.ConnectionRestored += (_, _) => _ = CheckDueAsync(CancellationToken.None, all: true);
        foreach (var feed in _feeds.Values.Where(f => f.Copy is not null))
        {
            await FollowAsync(feed, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task KeysChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys) =>
        ChangedAsync(ns, InvalidationChange.OfKeys([.. keys]));

    public Task TagsChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags) =>
        ChangedAsync(ns, InvalidationChange.OfTags([.. tags]));

    public Task NamespaceChangedAsync(NamespacePolicy ns) => ChangedAsync(ns, InvalidationChange.WholeNamespace);

    public async Task<IAsyncDisposable> WatchAsync(NamespacePolicy ns, InvalidationWatcher watcher,
        CancellationToken cancellationToken)
    {
        var feed = _feeds[ns.Name];
        feed.Add(watcher);
        try
        {
            await FollowAsync(feed, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await UnwatchAsync(feed, watcher).ConfigureAwait(false);
            throw;
        }

        return new Unwatch(this, feed, watcher);
    }

    /// <summary>How long until the next followed namespace is due for its sequence check.</summary>
    public TimeSpan NextCheckIn()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = _feeds.Values.Where(f => IsSubscribed(f.Namespace))
            .Select(f => _nextCheck.GetValueOrDefault(f.Namespace, now))
            .DefaultIfEmpty(now + _feeds.Values.Min(f => f.Policy.NearCache.ResyncInterval.Ticks))
            .Min();
        return TimeSpan.FromTicks(Math.Max(0, due - now));
    }

    /// <summary>Checks every followed namespace that is due (or all, at start and after a reconnect).</summary>
    public async Task CheckDueAsync(CancellationToken cancellationToken, bool all = false)
    {
        var now = _time.GetUtcNow().UtcTicks;
        foreach (var feed in _feeds.Values.Where(f => IsSubscribed(f.Namespace)))
        {
            if (all || _nextCheck.GetValueOrDefault(feed.Namespace, now) <= now)
            {
                _nextCheck[feed.Namespace] = now + feed.Policy.NearCache.ResyncInterval.Ticks;
                await CheckAsync(feed, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        foreach (var l1 in _caches.Values)
        {
            l1.Dispose();
        }

        foreach (var gate in _subscriptionGates.Values)
        {
            gate.Dispose();
        }
    }

    private async Task ChangedAsync(NamespacePolicy ns, InvalidationChange change)
    {
        if (_feeds.TryGetValue(ns.Name, out var feed))
        {
            // Here at once (this instance reads its own writes), then on every instance.
            feed.DropHere(change);
            await PublishAsync(ns, change).ConfigureAwait(false);
        }
    }

    /// <summary>Subscribes to the namespace's channel unless subscribed, then syncs it.</summary>
    private async Task FollowAsync(NamespaceFeed feed, CancellationToken cancellationToken)
    {
        var gate = _subscriptionGates[feed.Namespace];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsSubscribed(feed.Namespace) || !feed.Followed)
            {
                return;
            }

            try
            {
                await _redis.Subscriber.SubscribeAsync(
                        RedisKeyLayout.InvalidationChannel(feed.Policy), (_, message) => OnMessage(feed, message))
                    .WaitAsync(cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis is down: SubscribeAsync registered the handler and StackExchange.Redis subscribes
                // when it connects; until a check succeeds the feed stays out of sync.
                SidecarLog.NearCacheCheckFailed(_logger, feed.Namespace, ex.GetType().Name);
            }

            _subscribed[feed.Namespace] = true;
        }
        finally
        {
            gate.Release();
        }

        _nextCheck[feed.Namespace] = _time.GetUtcNow().UtcTicks + feed.Policy.NearCache.ResyncInterval.Ticks;
        await CheckAsync(feed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Detaches a watcher; the last one of a namespace without an L1 ends the subscription.</summary>
    private async Task UnwatchAsync(NamespaceFeed feed, InvalidationWatcher watcher)
    {
        feed.Remove(watcher);
        var gate = _subscriptionGates[feed.Namespace];
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (feed.Followed || !_subscribed.TryRemove(feed.Namespace, out _))
            {
                return;
            }

            feed.Lose();
            try
            {
                await _redis.Subscriber.UnsubscribeAsync(RedisKeyLayout.InvalidationChannel(feed.Policy))
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The handler is gone from StackExchange.Redis either way; Redis drops the rest with the connection.
                SidecarLog.NearCacheCheckFailed(_logger, feed.Namespace, ex.GetType().Name);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task CheckAsync(NamespaceFeed feed, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            // ConnectionFailed has already cleared; repeat in case this instance missed it.
            if (feed.Lose())
            {
                _metrics.NearCacheCleared(feed.Namespace, "disconnected");
            }

            return;
        }

        try
        {
            if (_unpublished.TryRemove(feed.Namespace, out var unpublishedNs))
            {
                await PublishAsync(unpublishedNs, InvalidationChange.WholeNamespace).ConfigureAwait(false);
            }

            var counter = await _redis.ExecuteAsync(
                    db => db.StringGetAsync(RedisKeyLayout.NearCacheSequence(feed.Policy)),
                    cancellationToken)
                .ConfigureAwait(false);
            var sequence = counter.IsNull ? 0 : (long)counter;
            if (feed.InSync && feed.AppliedSequence < sequence)
            {
                // The counter and the messages travel on different connections: the last messages may still be
                // on their way. Give them a moment (real time: bytes on a socket, not the host's clock) before
                // calling them lost and dropping everything.
                await Task.Delay(InFlightGrace, cancellationToken).ConfigureAwait(false);
            }

            var wasInSync = feed.InSync;
            if (feed.Resync(sequence) && wasInSync)
            {
                // In sync before and behind now: a message was lost without a gap showing.
                _metrics.NearCacheCleared(feed.Namespace, "behind");
                SidecarLog.NearCacheBehind(_logger, feed.Namespace, sequence);
            }
        }
        catch (CacheUnavailableException ex)
        {
            if (feed.Lose())
            {
                _metrics.NearCacheCleared(feed.Namespace, "check_failed");
                SidecarLog.NearCacheCheckFailed(_logger, feed.Namespace, ex.Message);
            }
        }
    }

    private async Task PublishAsync(NamespacePolicy ns, InvalidationChange change)
    {
        try
        {
            // Not the caller's token: the write this follows has happened and must be announced.
            await _redis.ExecuteAsync(
                db => PublishInvalidationScript.RunAsync(
                    db, RedisKeyLayout.NearCacheSequence(ns), RedisKeyLayout.InvalidationChannel(ns), change),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            // Other instances may still hold the value; the next check publishes a clear.
            _unpublished[ns.Name] = ns;
            SidecarLog.NearCachePublishFailed(_logger, ns.Name, ex.Message);
        }
    }

    private void OnMessage(NamespaceFeed feed, RedisValue message)
    {
        if ((string?)message is not { } text || !PublishInvalidationScript.TryParse(text, out var seq, out var change))
        {
            return; // not ours
        }

        _metrics.NearCacheInvalidation(feed.Namespace);
        if (feed.Apply(seq, change))
        {
            _metrics.NearCacheCleared(feed.Namespace, "gap");
        }
        else if (change.Kind != NoticeKind.Keys)
        {
            _metrics.NearCacheCleared(feed.Namespace, "namespace_invalidated");
        }
    }

    private void OnConnectionLost(ConnectionType connectionType)
    {
        // Either connection: pub/sub messages may travel on either (RESP3), and a lost
        // interactive connection means the checks fail too. Stop serving until the next check.
        foreach (var feed in _feeds.Values.Where(f => IsSubscribed(f.Namespace)))
        {
            feed.Lose();
            _metrics.NearCacheCleared(feed.Namespace, "disconnected");
        }

        SidecarLog.NearCacheDisconnected(_logger, connectionType.ToString());
    }

    private sealed class Unwatch(NearCacheBus bus, NamespaceFeed feed, InvalidationWatcher watcher) : IAsyncDisposable
    {
        private int _done;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                await bus.UnwatchAsync(feed, watcher).ConfigureAwait(false);
            }
        }
    }
}
