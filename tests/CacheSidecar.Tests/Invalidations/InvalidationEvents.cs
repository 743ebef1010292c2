using CacheSidecar.Contracts.V1;
using Grpc.Core;
using Kind = CacheSidecar.Contracts.V1.InvalidationEvent.Types.Kind;

namespace CacheSidecar.Tests.Invalidations;

/// <summary>Reads a WatchInvalidations stream in tests: the next event that matters, within a bound.</summary>
internal sealed class InvalidationEvents(AsyncServerStreamingCall<InvalidationEvent> call) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static InvalidationEvents Watch(Cache.CacheClient client, params string[] namespaces) =>
        Watch(client, heartbeat: null, namespaces);

    public static InvalidationEvents Watch(Cache.CacheClient client, TimeSpan? heartbeat, params string[] namespaces)
    {
        var request = new WatchInvalidationsRequest();
        request.Namespaces.AddRange(namespaces);
        if (heartbeat is { } interval)
        {
            request.HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(interval);
        }

        return new InvalidationEvents(client.WatchInvalidations(request));
    }

    /// <summary>The next event, heartbeats included; fails after the bound.</summary>
    public async Task<InvalidationEvent> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Bound);
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current;
    }

    /// <summary>The next event that is not a heartbeat.</summary>
    public async Task<InvalidationEvent> NextChangeAsync()
    {
        while (true)
        {
            var next = await NextAsync();
            if (next.Kind != Kind.Heartbeat)
            {
                return next;
            }
        }
    }

    /// <summary>
    /// The opening SYNCED of a namespace (a namespace this sidecar did not follow yet opens with RESET:
    /// not vouched for until its subscription is in place and checked).
    /// </summary>
    public Task<InvalidationEvent> SyncedAsync() => UntilAsync(e => e.Kind == Kind.Synced);

    /// <summary>Skips events until one matches; fails after the bound.</summary>
    public async Task<InvalidationEvent> UntilAsync(Func<InvalidationEvent, bool> match)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            if (match(call.ResponseStream.Current))
            {
                return call.ResponseStream.Current;
            }
        }

        Assert.Fail("the stream ended before the expected event");
        return null!;
    }

    public void Dispose() => call.Dispose();
}
