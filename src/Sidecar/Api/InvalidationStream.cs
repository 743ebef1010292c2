using CacheSidecar.Contracts.V1;
using CacheSidecar.Invalidations;
using Grpc.Core;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Api;

/// <summary>
/// One <c>WatchInvalidations</c> call: checks the request, attaches an <see cref="InvalidationWatcher"/>
/// to each namespace's feed, and writes its notices to the response stream, with a HEARTBEAT whenever
/// nothing else was written for a heartbeat interval (on the host's <see cref="TimeProvider"/>). It ends
/// when the caller cancels, or with RESOURCE_EXHAUSTED when the caller read too slowly to keep up.
/// </summary>
internal sealed class InvalidationStream(RequestValidator validate, IInvalidationFeed feed, TimeProvider time)
{
    /// <summary>Most namespaces one stream may follow.</summary>
    public const int MaxNamespaces = 100;

    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MinHeartbeat = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxHeartbeat = TimeSpan.FromMinutes(5);

    private static readonly InvalidationEvent Heartbeat = new() { Kind = InvalidationEvent.Types.Kind.Heartbeat };

    public async Task RunAsync(WatchInvalidationsRequest request, IServerStreamWriter<InvalidationEvent> stream,
        CancellationToken cancellationToken)
    {
        var heartbeat = HeartbeatOf(request);
        var policies = Namespaces(request);
        var watcher = new InvalidationWatcher();
        var watches = new List<IAsyncDisposable>(policies.Count);
        try
        {
            foreach (var ns in policies)
            {
                watches.Add(await feed.WatchAsync(ns, watcher, cancellationToken).ConfigureAwait(false));
            }

            await PumpAsync(watcher, stream, heartbeat, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var watch in watches)
            {
                await watch.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PumpAsync(InvalidationWatcher watcher, IServerStreamWriter<InvalidationEvent> stream,
        TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        var notices = watcher.Notices;
        while (true)
        {
            bool more;
            using (var timer = new CancellationTokenSource(heartbeat, time))
            using (var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token))
            {
                try
                {
                    more = await notices.WaitToReadAsync(silence.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await stream.WriteAsync(Heartbeat, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            if (!more)
            {
                // The feed ended the watcher: it could not queue a notice, so the caller has missed one.
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"The stream fell {InvalidationWatcher.Capacity} invalidations behind and some were dropped; "
                    + "clear the near cache and watch again."));
            }

            while (notices.TryRead(out var notice))
            {
                await stream.WriteAsync(ContractMapping.ToEvent(notice), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static TimeSpan HeartbeatOf(WatchInvalidationsRequest request)
    {
        if (request.HeartbeatInterval is null)
        {
            return DefaultHeartbeat;
        }

        var interval = request.HeartbeatInterval.ToTimeSpan();
        if (interval < MinHeartbeat || interval > MaxHeartbeat)
        {
            throw Errors.InvalidArgument(
                $"heartbeat_interval must be between {MinHeartbeat.TotalMilliseconds:0} ms "
                + $"and {MaxHeartbeat.TotalMinutes:0} min.");
        }

        return interval;
    }

    private List<NamespacePolicy> Namespaces(WatchInvalidationsRequest request)
    {
        if (request.Namespaces.Count == 0)
        {
            throw Errors.InvalidArgument("namespaces: name at least one namespace to watch.");
        }

        if (request.Namespaces.Count > MaxNamespaces)
        {
            throw Errors.InvalidArgument(
                $"{request.Namespaces.Count} namespaces in one stream; at most {MaxNamespaces} are allowed.");
        }

        var policies = new List<NamespacePolicy>(request.Namespaces.Count);
        foreach (var name in request.Namespaces)
        {
            var ns = validate.Namespace(name);
            if (policies.Exists(p => p.Name == ns.Name))
            {
                throw Errors.InvalidArgument($"namespace '{ns.Name}' is named twice.");
            }

            if (!ns.PublishesInvalidations)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"Namespace '{ns.Name}' does not publish its invalidations: set "
                    + $"Sidecar:Namespaces:{ns.Name}:PublishInvalidations=true on every instance to watch it."));
            }

            policies.Add(ns);
        }

        return policies;
    }
}
