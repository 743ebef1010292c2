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

    [Fact]
    public async Task Over_http_json_the_events_arrive_one_json_object_per_line()
    {
        await using var host = SidecarHost.Start(redis: null, mongo: null);
        using var http = host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/invalidations:watch")
        {
            Content = new StringContent($$"""{"namespaces":["{{WatchedPure}}"]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync());
        var synced = await NextJsonLineAsync(lines);
        var key = UniqueKey();

        await host.Client.PutJsonAsync(WatchedPure, key, "1");
        var put = await NextJsonLineAsync(lines);

        Assert.Equal("SYNCED", synced.GetProperty("kind").GetString());
        Assert.Equal("KEYS", put.GetProperty("kind").GetString());
        Assert.Equal(key, put.GetProperty("keys")[0].GetString());
    }

    private static async Task<System.Text.Json.JsonElement> NextJsonLineAsync(StreamReader lines)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = await lines.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the response ended");
            if (line.Trim().TrimStart('[', ',').Trim() is { Length: > 0 } json && json != "]")
            {
                return System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
            }
        }
    }
}
