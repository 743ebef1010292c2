using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>The fixture chain, each branch driven through the internal overload.</summary>
public sealed class MongoTestEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<MongoTestTarget> NoContainer() => throw new InvalidOperationException("should not start a container");

    [Fact]
    public async Task MONGODB_URI_wins_over_everything()
    {
        const string uri = "mongodb://db.example:27017/";
        bool dockerAsked = false;

        await using MongoTestTarget target = await MongoTestEndpoint.AcquireAsync(
            name => name == "MONGODB_URI" ? uri : null,
            () => { dockerAsked = true; return Task.FromResult(true); },
            NoContainer);

        Assert.Equal((MongoTestTarget.ExternalKind, uri), (target.Kind, target.ConnectionString));
        Assert.Null(target.WireServer);
        Assert.False(dockerAsked);
    }

    [Fact]
    public async Task Without_docker_the_wire_test_server_is_started()
    {
        await using MongoTestTarget target = await MongoTestEndpoint.AcquireAsync(_ => null, () => Task.FromResult(false), NoContainer);

        Assert.Equal(MongoTestTarget.WireTestServerKind, target.Kind);
        Assert.NotNull(target.WireServer);
        Assert.Equal(target.WireServer.ConnectionString, target.ConnectionString);
        using var client = new MongoClient(target.ConnectionString);
        await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: Ct);
    }

    [Fact]
    public async Task A_failing_container_falls_through_to_the_wire_test_server()
    {
        await using MongoTestTarget target = await MongoTestEndpoint.AcquireAsync(
            _ => " ",
            () => Task.FromResult(true),
            () => throw new InvalidOperationException("image pull refused"));

        Assert.Equal(MongoTestTarget.WireTestServerKind, target.Kind);
        Assert.True(target.WireServer!.IsRunning);
    }

    [Fact]
    public async Task Docker_probe_answers_within_its_timeout()
    {
        var clock = Stopwatch.StartNew();
        await MongoTestEndpoint.IsDockerAvailableAsync(); // false here (no docker CLI); true where Docker runs
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"probe took {clock.Elapsed}");
    }

    [Fact]
    public async Task Disposing_a_wire_target_stops_its_server()
    {
        MongoTestTarget target = await MongoTestEndpoint.AcquireWireServerAsync();
        MongoWireServer server = target.WireServer!;

        await target.DisposeAsync();

        Assert.False(server.IsRunning);
    }
}
