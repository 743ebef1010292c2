using System.Diagnostics;
using CacheSidecar.Bench.Load;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// "Another service": a plain <see cref="MongoClient"/> doing <c>UpdateOne({_id: key}, {$set: {n: i}})</c>
/// on the watched collection, never through the sidecar, so the change carries no sidecar version and
/// the watcher must invalidate it. Every write's <c>n</c> is unique over the whole run. Sampled writes
/// go to the pool keys (a tenth of the keys, in turn), the others to a random key of the rest, so a
/// sampled key's value only changes by its own sampled writes.
/// </summary>
internal sealed class ExternalWriter
{
    private readonly IMongoCollection<BsonDocument> _collection;
    private readonly PoolKey[] _pool;
    private readonly FilterDefinition<BsonDocument>[] _others;
    private readonly Dictionary<PoolKey, FilterDefinition<BsonDocument>> _poolFilters;
    private long _nextN;
    private long _poolCursor = -1;

    public ExternalWriter(IMongoCollection<BsonDocument> collection, IReadOnlyList<string> keys)
    {
        _collection = collection;
        var poolSize = Math.Max(2, keys.Count / 10);
        _pool = keys.Take(poolSize).Select(key => new PoolKey(key)).ToArray();
        _poolFilters = _pool.ToDictionary(key => key, key => Filter(key.Key));
        _others = keys.Skip(poolSize).Select(Filter).ToArray();
    }

    /// <summary>Keys reserved for sampled writes.</summary>
    public int PoolSize => _pool.Length;

    /// <summary>Writes only to the unsampled keys (warm-up).</summary>
    public Operation Unsampled() => (_, cancellationToken) => WriteAsync(null, null, cancellationToken);

    /// <summary>
    /// Every <paramref name="sampleEvery"/>-th write goes to the next pool key and is polled by
    /// <paramref name="probes"/>.
    /// </summary>
    public Operation Sampled(LagProbes probes, int sampleEvery) => (sequence, cancellationToken) =>
    {
        PoolKey? key = null;
        if (sequence % sampleEvery == 0)
        {
            var next = _pool[(int)(Interlocked.Increment(ref _poolCursor) % _pool.Length)];
            if (next.TryAcquire())
            {
                key = next;
            }
            else
            {
                probes.CountSkipped();
            }
        }

        return WriteAsync(key, probes, cancellationToken);
    };

    private async ValueTask<bool> WriteAsync(PoolKey? key, LagProbes? probes, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _nextN);
        var filter = key is null ? _others[Random.Shared.Next(_others.Length)] : _poolFilters[key];
        UpdateResult result;
        try
        {
            result = await _collection.UpdateOneAsync(
                filter, Builders<BsonDocument>.Update.Set("n", n), cancellationToken: cancellationToken);
        }
        catch
        {
            key?.Release();
            throw;
        }

        // Taken as soon as the acknowledgement is back: the commit is done, every later read may see it.
        var acknowledged = Stopwatch.GetTimestamp();
        var ok = result.IsAcknowledged && result.ModifiedCount == 1;
        if (key is not null)
        {
            if (ok)
            {
                probes!.Start(key, n, acknowledged);
            }
            else
            {
                key.Release();
            }
        }

        return ok;
    }

    private static FilterDefinition<BsonDocument> Filter(string key) => Builders<BsonDocument>.Filter.Eq("_id", key);
}
