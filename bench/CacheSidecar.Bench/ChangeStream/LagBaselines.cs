using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>The plain round trips the lag is made of, each measured alone (one caller, one call at a time).</summary>
/// <param name="GetHit">Sidecar Get of a cached key of the watched namespace.</param>
/// <param name="GetMiss">
/// Sidecar Get of a key not cached yet (store read and cache fill): what the first read after an
/// invalidation costs.
/// </param>
/// <param name="UpdateOne">The external writer's UpdateOne on a collection no watcher follows.</param>
internal sealed record LagBaselines(LoadResult GetHit, LoadResult GetMiss, LoadResult UpdateOne)
{
    public IEnumerable<LoadResult> All => [UpdateOne, GetHit, GetMiss];
}
