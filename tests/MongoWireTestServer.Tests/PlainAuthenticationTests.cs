using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>SASL PLAIN, so a test can hand the driver a connection string that really carries a password.</summary>
public sealed class PlainAuthenticationTests : IAsyncLifetime
{
    private readonly MongoWireServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(_server.StartAsync());

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task The_driver_authenticates_with_PLAIN_and_the_required_password()
    {
        _server.PlainCredentials = ("app", "s3cret");

        using var client = new MongoClient(ConnectionString("app", "s3cret"));
        await client.GetDatabase("wire").GetCollection<BsonDocument>("docs").InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct);

        Assert.True(_server.CommandCount("saslStart") >= 1);
    }

    [Fact]
    public async Task A_wrong_password_fails_authentication()
    {
        _server.PlainCredentials = ("app", "s3cret");

        using var client = new MongoClient(ConnectionString("app", "wrong"));
        var failure = await Record.ExceptionAsync(() => client.GetDatabase("wire").GetCollection<BsonDocument>("docs").InsertOneAsync(new BsonDocument("_id", 1), cancellationToken: Ct));

        // The driver marks the server down after the failed handshake, so the operation ends in a server-selection timeout.
        Assert.True(failure is TimeoutException or MongoAuthenticationException, $"unexpected: {failure}");
        Assert.Contains("Authentication failed", failure!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scram_is_refused_as_an_unavailable_mechanism()
    {
        using var client = new MongoClient($"mongodb://app:s3cret@127.0.0.1:{_server.Port}/?directConnection=true&serverSelectionTimeoutMS=1000");

        var failure = await Record.ExceptionAsync(() => client.GetDatabase("wire").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: Ct));

        Assert.NotNull(failure);
        Assert.Contains("PLAIN only", failure.ToString(), StringComparison.Ordinal);
    }

    private string ConnectionString(string user, string password) =>
        $"mongodb://{user}:{password}@127.0.0.1:{_server.Port}/?directConnection=true&serverSelectionTimeoutMS=1000&authMechanism=PLAIN";
}
