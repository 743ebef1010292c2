using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.MongoWire.Tests;
using MongoDB.Bson;
using MongoDB.Driver;

[assembly: AssemblyFixture(typeof(MongoTargetFixture))]

namespace CacheSidecar.Testing.MongoWire.Tests;

/// <summary>
/// One MongoDB for the whole assembly, chosen by <see cref="MongoTestEndpoint"/>. Behaviour
/// tests run against it, so with <c>MONGODB_URI</c> or Docker they double as a parity check of
/// the wire test server against a real MongoDB. Each test gets its own collection.
/// </summary>
public sealed class MongoTargetFixture : IAsyncLifetime
{
    private MongoTestTarget? _target;
    private MongoClient? _client;

    public MongoTestTarget Target => _target ?? throw new InvalidOperationException("fixture not initialised");

    public IMongoDatabase Database { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _target = await MongoTestEndpoint.AcquireAsync();
        _client = new MongoClient(_target.ConnectionString);

        // A fresh database per run keeps an external server's other data out of the way.
        Database = _client.GetDatabase($"wiretests_{Guid.NewGuid():N}"[..24]);
    }

    public IMongoCollection<BsonDocument> NewCollection() =>
        Database.GetCollection<BsonDocument>($"c_{Guid.NewGuid():N}");

    /// <summary>
    /// Skips the calling test when the chosen MongoDB is a standalone server (the Docker path starts one),
    /// which refuses change streams; the wire test server and replica sets run it.
    /// </summary>
    public async Task RequireChangeStreamsAsync(CancellationToken cancellationToken)
    {
        if (Target.WireServer is not null)
        {
            return;
        }

        BsonDocument hello = await Database.Client.GetDatabase("admin")
            .RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellationToken);
        if (!hello.Contains("setName") && hello.GetValue("msg", "").AsString != "isdbgrid")
        {
            Assert.Skip($"change streams need a replica set or sharded cluster; {Target} is a standalone server");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            if (_target?.WireServer is null)
            {
                await _client.DropDatabaseAsync(Database.DatabaseNamespace.DatabaseName);
            }

            _client.Dispose();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}
