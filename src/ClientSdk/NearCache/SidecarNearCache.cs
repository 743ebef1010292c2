using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using CacheSidecar.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Kind = CacheSidecar.Contracts.V1.InvalidationEvent.Types.Kind;

namespace CacheSidecar.Client.NearCache;

/// <summary>
/// The in-process near caches of the namespaces named in <see cref="CacheSidecarClientOptions.NearCaches"/>, kept
/// coherent by one <c>WatchInvalidations</c> stream from the sidecar. A namespace is answered from memory only while
/// the stream vouches for it (after SYNCED, until RESET); a broken or silent stream (no event for two heartbeat
/// intervals) clears every namespace and bypasses them until the stream is back (reconnecting with backoff).
/// <para>
/// The bound a caller gets: once a write on any sidecar has returned, this process stops answering the old value
/// within the sidecars' invalidation delivery (Redis pub/sub, then this stream: milliseconds), or, when the stream
/// silently dies, within two heartbeat intervals (<see cref="CacheSidecarClientOptions.InvalidationHeartbeat"/>).
/// </para>
/// One per process (a singleton in DI); <see cref="CacheSidecarClient"/> consults it on every read and write.
/// </summary>
public sealed class SidecarNearCache : IAsyncDisposable
{
    private static readonly TimeSpan MinReconnectDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    private readonly Cache.CacheClient _client;
    private readonly CacheSidecarClientOptions _options;
    private readonly TimeProvider _time;
    private readonly FrozenDictionary<string, NamespaceNearCache> _caches;
    private readonly NearCacheMetrics _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _watching;

    /// <summary>Starts watching the configured namespaces at once (no stream when none is configured).</summary>
    public SidecarNearCache(Cache.CacheClient client, IOptions<CacheSidecarClientOptions> options,
        TimeProvider? time = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        if (_options.InvalidationHeartbeat < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "InvalidationHeartbeat must be at least 100 ms.");
        }

        _metrics = new NearCacheMetrics(meterFactory, () => _caches!.Values);
        _caches = _options.NearCaches.ToFrozenDictionary(
            pair => pair.Key,
            pair =>
            {
                pair.Value.Validate(pair.Key);
                return new NamespaceNearCache(pair.Key, pair.Value, _time, _metrics);
            },
            StringComparer.Ordinal);
        _watching = _caches.Count == 0 ? Task.CompletedTask : Task.Run(() => WatchAsync(_stopping.Token));
    }

    /// <summary>True while the namespace's near cache answers from memory (its invalidations are streaming).</summary>
    public bool IsServing(string @namespace) => _caches.TryGetValue(@namespace, out var cache) && cache.Serving;

    /// <summary>Entries held for the namespace (0 when it has no near cache).</summary>
    public long Count(string @namespace) => _caches.TryGetValue(@namespace, out var cache) ? cache.Count : 0;

    /// <summary>Stops the stream and drops every entry.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watching.ConfigureAwait(false);
        foreach (var cache in _caches.Values)
        {
            cache.Dispose();
        }

        _metrics.Dispose();
        _stopping.Dispose();
    }

    internal NamespaceNearCache? For(string @namespace) => _caches.GetValueOrDefault(@namespace);

    private async Task WatchAsync(CancellationToken stopping)
    {
        var delay = MinReconnectDelay;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await WatchOnceAsync(stopping).ConfigureAwait(false))
                {
                    delay = MinReconnectDelay; // it worked for a while: reconnect quickly
                }
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException)
            {
                // A broken, refused or silent stream: handled the same way below.
            }

            StopAll("stream_lost");
            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>
    /// Follows one stream until it ends, breaks or falls silent. Returns true when any event arrived.
    /// </summary>
    private async Task<bool> WatchOnceAsync(CancellationToken stopping)
    {
        var request = new WatchInvalidationsRequest
        {
            HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(_options.InvalidationHeartbeat),
        };
        request.Namespaces.AddRange(_caches.Keys);
        using var alive = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var silence = _options.InvalidationHeartbeat * 2;
        // The watchdog: no event (not even a heartbeat) for two intervals means the stream is dead.
        using var watchdog = _time.CreateTimer(_ => CancelQuietly(alive), null, silence, Timeout.InfiniteTimeSpan);
        using var call = _client.WatchInvalidations(
            request, new CallOptions(Headers(), cancellationToken: alive.Token));
        var received = false;
        while (await call.ResponseStream.MoveNext(alive.Token).ConfigureAwait(false))
        {
            watchdog.Change(silence, Timeout.InfiniteTimeSpan);
            received = true;
            Apply(call.ResponseStream.Current);
        }

        return received;
    }

    /// <summary>
    /// The watchdog may fire while the stream is being torn down; an exception on a timer thread would end the
    /// application's process.
    /// </summary>
    private static void CancelQuietly(CancellationTokenSource alive)
    {
        try
        {
            alive.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream is over already.
        }
    }

    private void Apply(InvalidationEvent change)
    {
        if (change.Kind == Kind.Heartbeat || !_caches.TryGetValue(change.Namespace, out var cache))
        {
            return;
        }

        switch (change.Kind)
        {
            case Kind.Synced:
                cache.Synced(change.Sequence);
                break;
            case Kind.Keys:
                cache.Invalidated(change.Sequence, change.Keys);
                break;
            case Kind.Namespace:
                cache.InvalidatedAll(change.Sequence, "namespace");
                break;
            case Kind.Tags:
                cache.InvalidatedAll(change.Sequence, "tags");
                break;
            default:
                // RESET, and any kind a newer sidecar may add: drop everything and wait for SYNCED.
                cache.Stop("reset");
                break;
        }
    }

    private void StopAll(string reason)
    {
        foreach (var cache in _caches.Values)
        {
            cache.Stop(reason);
        }
    }

    private Metadata? Headers() =>
        _options.BearerToken is { Length: > 0 } token ? new Metadata { { "authorization", "Bearer " + token } } : null;
}
