using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Grpc.Net.Client;
using MongoDB.Bson;
using MongoDB.Driver;
using StackExchange.Redis;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// What the changestream bench drives: one gRPC channel to the sidecar, the external writer's own
/// <see cref="MongoClient"/>, the watched namespace's keys (prefilled and cached) and the baseline
/// namespace's documents (written straight into MongoDB, never read yet: every first Get is a miss).
/// </summary>
internal sealed class ChangeStreamRig : IDisposable
{
    /// <summary>The sidecar's default <c>Sidecar:Redis:KeyPrefix</c>; the bench does not change it.</summary>
    public const string KeyPrefix = "cs";

    private static readonly TimeSpan WatcherTimeout = TimeSpan.FromSeconds(60);

    private readonly GrpcChannel _channel;
    private readonly MongoClient _mongo;

    private ChangeStreamRig(GrpcChannel channel, MongoClient mongo, string[] keys, string[] baselineKeys)
    {
        _channel = channel;
        _mongo = mongo;
        Cache = new Cache.CacheClient(channel);
        var database = mongo.GetDatabase(BackingServers.MongoDatabase);
        Watched = database.GetCollection<BsonDocument>(BenchNamespaces.ChangeStreamLag);
        Unwatched = database.GetCollection<BsonDocument>(BenchNamespaces.ChangeStreamBaseline);
        Keys = keys;
        BaselineKeys = baselineKeys;
    }

    public Cache.CacheClient Cache { get; }

    /// <summary>The watched collection, through the external writer's client.</summary>
    public IMongoCollection<BsonDocument> Watched { get; }

    /// <summary>The baseline namespace's collection: no watcher follows it.</summary>
    public IMongoCollection<BsonDocument> Unwatched { get; }

    public string[] Keys { get; }

    public string[] BaselineKeys { get; }

    /// <summary>How long after the sidecar served the watcher's resume token appeared in Redis.</summary>
    public TimeSpan WatcherReadyAfter { get; private set; }

    /// <summary>
    /// Waits for the watcher, then Puts every key through the sidecar and reads it (fill, then a
    /// proven hit), and inserts the baseline documents directly into MongoDB.
    /// </summary>
    public static async Task<ChangeStreamRig> PrepareAsync(
        BackingServers servers, SidecarProcess sidecar, int keyCount, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress(sidecar.Address);
        var mongo = new MongoClient(servers.MongoConnectionString);
        var rig = new ChangeStreamRig(
            channel, mongo, Payload.Keys("c", keyCount), Payload.Keys("b", keyCount));
        try
        {
            // Before the prefill: a watcher that starts without a token invalidates the whole
            // namespace once its stream is open, which would drop the entries just cached.
            rig.WatcherReadyAfter = await WaitForWatcherAsync(servers.Redis.GetDatabase(), sidecar, cancellationToken);
            await Prefill.GetHitKeysAsync(rig.Cache, BenchNamespaces.ChangeStreamLag, rig.Keys, 16, cancellationToken);
            var template = BsonDocument.Parse(System.Text.Encoding.UTF8.GetString(Payload.JsonValue));
            await rig.Unwatched.InsertManyAsync(
                rig.BaselineKeys.Select(key => new BsonDocument("_id", key).AddRange(template)),
                cancellationToken: cancellationToken);
            return rig;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _mongo.Dispose();
    }

    /// <summary>The watcher saves its resume token after the first batch of its open stream: it follows it.</summary>
    private static async Task<TimeSpan> WaitForWatcherAsync(
        IDatabase redis, SidecarProcess sidecar, CancellationToken cancellationToken)
    {
        var token = (RedisKey)$"{KeyPrefix}:{{{BenchNamespaces.ChangeStreamLag}:watch}}:token";
        var clock = Stopwatch.StartNew();
        while (!await redis.KeyExistsAsync(token))
        {
            sidecar.ThrowIfExited();
            if (clock.Elapsed > WatcherTimeout)
            {
                throw new BenchFailedException(
                    $"no change-stream watcher for '{BenchNamespaces.ChangeStreamLag}' after "
                    + $"{WatcherTimeout.TotalSeconds:0} s ({token} never appeared); sidecar output:\n{sidecar.Output}");
            }

            await Task.Delay(10, cancellationToken);
        }

        return clock.Elapsed;
    }
}
