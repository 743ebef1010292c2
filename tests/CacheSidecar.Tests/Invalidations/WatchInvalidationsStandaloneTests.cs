using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;
using Kind = CacheSidecar.Contracts.V1.InvalidationEvent.Types.Kind;

namespace CacheSidecar.Tests.Invalidations;

/// <summary>WatchInvalidations on the embedded default (one instance) and behind the bearer token.</summary>
public sealed class WatchInvalidationsStandaloneTests
{
    [Fact]
    public async Task On_the_embedded_tier_a_watcher_hears_the_instance_s_own_writes_numbered_from_one()
    {
        await using var host = SidecarHost.Start(redis: null, mongo: null);
        using var events = InvalidationEvents.Watch(host.Client, WatchedPure);
        var synced = await events.SyncedAsync();
        var key = UniqueKey();

        await host.Client.PutJsonAsync(WatchedPure, key, "1");
        var put = await events.NextChangeAsync();

        Assert.Equal(0, synced.Sequence);
        Assert.Equal((Kind.Keys, 1, key), (put.Kind, put.Sequence, put.Keys.Single()));
    }

    [Fact]
    public async Task Without_the_bearer_token_the_stream_is_unauthenticated()
    {
        await using var host = SidecarHost.Start(redis: null, mongo: null, s => s["Sidecar:Auth:Token"] = "watch-token");
        using var events = InvalidationEvents.Watch(host.Client, WatchedPure);

        var error = await Assert.ThrowsAsync<RpcException>(events.NextAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
