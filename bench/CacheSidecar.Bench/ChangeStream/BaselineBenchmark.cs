using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using MongoDB.Bson;
using MongoDB.Driver;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// Measures <see cref="LagBaselines"/> before the writers start, with the watcher idle. The UpdateOne
/// baseline writes a collection no watcher follows, so no invalidation runs alongside it.
/// </summary>
internal static class BaselineBenchmark
{
    public const int WarmUpCalls = 200;
    public const int MeasuredCalls = 2_000;

    public static async Task<LagBaselines> RunAsync(ChangeStreamRig rig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rig);
        var hits = rig.Keys.Select(key => new GetRequest { Namespace = BenchNamespaces.ChangeStreamLag, Key = key })
            .ToArray();
        var getHit = await SequentialLoad.RunAsync(
            "Sidecar Get, cache hit", WarmUpCalls, MeasuredCalls,
            async (i, ct) => (await rig.Cache.GetAsync(hits[i % hits.Length], cancellationToken: ct))
                is { Found: true, Source: ValueSource.Cache },
            cancellationToken);
        Console.WriteLine(Describe(getHit));

        // Every baseline document is read exactly once: each Get is a miss that reads the store and fills.
        var misses = rig.BaselineKeys
            .Select(key => new GetRequest { Namespace = BenchNamespaces.ChangeStreamBaseline, Key = key })
            .ToArray();
        var missWarmUp = misses.Length / 10;
        var getMiss = await SequentialLoad.RunAsync(
            "Sidecar Get, miss (store read + fill)", missWarmUp, misses.Length - missWarmUp,
            async (i, ct) => (await rig.Cache.GetAsync(misses[i], cancellationToken: ct))
                is { Found: true, Source: ValueSource.Store },
            cancellationToken);
        Console.WriteLine(Describe(getMiss));

        var filters = rig.BaselineKeys.Select(key => Builders<BsonDocument>.Filter.Eq("_id", key)).ToArray();
        var updateOne = await SequentialLoad.RunAsync(
            "External UpdateOne (plain MongoClient)", WarmUpCalls, MeasuredCalls,
            async (i, ct) => (await rig.Unwatched.UpdateOneAsync(
                filters[i % filters.Length], Builders<BsonDocument>.Update.Set("n", (long)i), cancellationToken: ct))
                .ModifiedCount == 1,
            cancellationToken);
        Console.WriteLine(Describe(updateOne));
        return new LagBaselines(getHit, getMiss, updateOne);
    }

    private static string Describe(LoadResult result) =>
        $"  {result.Name}: {result.Operations:N0} calls, p50 {result.PercentileMicroseconds(50):N0} µs, "
        + $"p99 {result.PercentileMicroseconds(99):N0} µs, max {result.MaxMicroseconds:N0} µs"
        + (result.FirstProblem is null
            ? ""
            : $"  !! {result.Errors + result.Unexpected:N0} errors; first: {result.FirstProblem}");
}
