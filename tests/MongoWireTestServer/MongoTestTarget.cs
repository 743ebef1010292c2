using Testcontainers.MongoDb;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// The MongoDB a test run talks to, as chosen by <see cref="MongoTestEndpoint.AcquireAsync()"/>.
/// Disposing it stops whatever was started for it (container or wire test server); an external
/// server is left alone.
/// </summary>
public sealed class MongoTestTarget : IAsyncDisposable
{
    /// <summary><see cref="Kind"/> when <c>MONGODB_URI</c> names the server.</summary>
    public const string ExternalKind = "external";

    /// <summary><see cref="Kind"/> when a <c>mongo</c> container was started through Testcontainers.</summary>
    public const string TestcontainersKind = "testcontainers";

    /// <summary><see cref="Kind"/> when the in-process <see cref="MongoWireServer"/> is used.</summary>
    public const string WireTestServerKind = "wire-test-server";

    private readonly MongoDbContainer? _container;

    private MongoTestTarget(string kind, string connectionString, MongoWireServer? wireServer, MongoDbContainer? container)
    {
        Kind = kind;
        ConnectionString = connectionString;
        WireServer = wireServer;
        _container = container;
    }

    /// <summary>The connection string to hand to <c>MongoClient</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>One of <see cref="ExternalKind"/>, <see cref="TestcontainersKind"/>, <see cref="WireTestServerKind"/>.</summary>
    public string Kind { get; }

    /// <summary>
    /// The in-process server when <see cref="Kind"/> is <see cref="WireTestServerKind"/>, else null.
    /// Failure tests use it to stop/start the store or slow it down.
    /// </summary>
    public MongoWireServer? WireServer { get; }

    internal static MongoTestTarget External(string connectionString) => new(ExternalKind, connectionString, null, null);

    internal static MongoTestTarget FromContainer(MongoDbContainer container) =>
        new(TestcontainersKind, container.GetConnectionString(), null, container);

    internal static MongoTestTarget FromWireServer(MongoWireServer server) =>
        new(WireTestServerKind, server.ConnectionString, server, null);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (WireServer is not null)
        {
            await WireServer.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {ConnectionString}";
}
