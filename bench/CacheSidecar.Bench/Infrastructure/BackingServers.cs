using System.Globalization;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using MongoDB.Bson;
using MongoDB.Driver;
using StackExchange.Redis;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// The bench's own Redis and MongoDB: a <c>redis-server</c> child process (no persistence) and the
/// in-process MongoDB wire-protocol test server, both on 127.0.0.1 only, plus one multiplexer the bench
/// uses for the direct-Redis baseline and for reading write-behind backlogs. Also counts the commands
/// each backend receives, so every scenario can say how much backend work one call costs.
/// </summary>
internal sealed class BackingServers : IAsyncDisposable
{
    /// <summary>The database every sidecar of the bench uses (<c>Sidecar__Mongo__Database</c>).</summary>
    public const string MongoDatabase = "bench";

    // Topology chatter of the driver, not work done for a call.
    private static readonly HashSet<string> MongoHandshakeCommands = new(StringComparer.OrdinalIgnoreCase) { "hello", "isMaster", "ping", "buildInfo", "endSessions" };

    private readonly RedisServerProcess _redis;
    private readonly MongoWireServer _mongo;
    private long _mongoCommands;

    private BackingServers(RedisServerProcess redis, MongoWireServer mongo, ConnectionMultiplexer multiplexer, string redisVersion)
    {
        _redis = redis;
        _mongo = mongo;
        Redis = multiplexer;
        RedisVersion = redisVersion;
        _mongo.CommandReceived = command =>
        {
            if (command.ElementCount > 0 && !MongoHandshakeCommands.Contains(command.GetElement(0).Name))
            {
                Interlocked.Increment(ref _mongoCommands);
            }
        };
    }

    /// <summary>The bench's own connection to the redis-server (not shared with any sidecar).</summary>
    public ConnectionMultiplexer Redis { get; }

    public string RedisEndPoint => _redis.EndPoint;

    /// <summary>The redis-server process, for its CPU time.</summary>
    public int RedisPid => _redis.Pid;

    public string RedisVersion { get; }

    public string MongoConnectionString => _mongo.ConnectionString;

    /// <summary>MongoDB commands received so far, handshakes and pings excluded.</summary>
    public long MongoCommands => Interlocked.Read(ref _mongoCommands);

    public static async Task<BackingServers> StartAsync(CancellationToken cancellationToken)
    {
        var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { Persistence = RedisPersistence.None }, cancellationToken);
        MongoWireServer? mongo = null;
        try
        {
            mongo = new MongoWireServer();
            await mongo.StartAsync();
            // allowAdmin: INFO (version, command counters) counts as an admin command in StackExchange.Redis.
            var multiplexer = await ConnectionMultiplexer.ConnectAsync($"{redis.EndPoint},allowAdmin=true");
            var info = (string?)await multiplexer.GetDatabase().ExecuteAsync("INFO", "server");
            return new BackingServers(redis, mongo, multiplexer, InfoField(info, "redis_version") ?? "unknown");
        }
        catch
        {
            if (mongo is not null)
            {
                await mongo.DisposeAsync();
            }

            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Redis <c>total_commands_processed</c> (includes this INFO call and client heartbeats: approximate).</summary>
    public async Task<long> RedisCommandsAsync()
    {
        var info = (string?)await Redis.GetDatabase().ExecuteAsync("INFO", "stats");
        return long.Parse(InfoField(info, "total_commands_processed") ?? "0", CultureInfo.InvariantCulture);
    }

    /// <summary>Documents in a collection of the bench database, read through the real driver.</summary>
    public async Task<long> CountDocumentsAsync(string collection, CancellationToken cancellationToken)
    {
        var client = new MongoClient(_mongo.ConnectionString);
        try
        {
            return await client.GetDatabase(MongoDatabase).GetCollection<BsonDocument>(collection)
                .CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: cancellationToken);
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Redis.DisposeAsync();
            await _mongo.DisposeAsync();
        }
        finally
        {
            await _redis.DisposeAsync(); // kills redis-server by its PID
        }
    }

    private static string? InfoField(string? info, string field)
    {
        foreach (var line in (info ?? "").Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return line[(field.Length + 1)..];
            }
        }

        return null;
    }
}
