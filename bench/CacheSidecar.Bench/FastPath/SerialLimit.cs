namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// DESIGN §9's serial limit: on one machine the sidecar and Redis share the cores, so a Redis-backed Get
/// can at best reach <c>1 / (1/no-op RPC rate + 1/direct Redis GET rate)</c> — the rate at which one call
/// of each, one after the other, would go. Computed round by round (the rows of a round ran back to
/// back), then summarised as median and range.
/// </summary>
/// <param name="Limit">The serial limit, req/s.</param>
/// <param name="GetShare">The Get hit's rate over the limit of the same round.</param>
/// <param name="NoOp">The no-op RPC rates the limit came from.</param>
/// <param name="Redis">The direct Redis GET rates.</param>
/// <param name="Get">The Get-hit rates.</param>
internal sealed record SerialLimit(Spread Limit, Spread GetShare, Spread NoOp, Spread Redis, Spread Get)
{
    /// <param name="rounds">Per round: no-op rate, direct Redis GET rate, Get-hit rate (NaN where not measured).</param>
    public static SerialLimit Of(IReadOnlyList<(double NoOp, double Redis, double Get)> rounds)
    {
        var limits = rounds.Select(r => r.NoOp > 0 && r.Redis > 0 ? 1 / ((1 / r.NoOp) + (1 / r.Redis)) : double.NaN).ToList();
        return new SerialLimit(
            Spread.Of(limits),
            Spread.OfRatios(rounds.Select(r => r.Get).ToList(), limits),
            Spread.Of(rounds, r => r.NoOp),
            Spread.Of(rounds, r => r.Redis),
            Spread.Of(rounds, r => r.Get));
    }

    /// <summary>With the .NET client on every side: the closed-loop rows of the same rounds.</summary>
    public static SerialLimit DotNet(SaturationResults saturation, int rounds)
    {
        double Rate(string name, int round) => saturation.Find(name)?.InRound(round) ?? double.NaN;
        return Of(Enumerable.Range(1, rounds)
            .Select(round => (Rate(FastPathScenarios.NoOp, round), Rate(FastPathScenarios.DirectRedis, round), Rate(FastPathScenarios.GetHit, round)))
            .ToList());
    }

    /// <summary>With the C load generators: h2load on the no-op RPC and the Get hit, redis-benchmark on GET, round by round.</summary>
    public static SerialLimit Neutral(NeutralDriverResults drivers)
    {
        var noOp = drivers.MeasuredNoOp;
        var get = drivers.MeasuredGet;
        var redis = drivers.MeasuredRedis;
        var count = Math.Min(noOp.Count, Math.Min(get.Count, redis.Count));
        return Of(Enumerable.Range(0, count)
            .Select(i => (noOp[i].RequestsPerSecond, redis[i].RequestsPerSecond, get[i].RequestsPerSecond))
            .ToList());
    }

    public bool Measured => Limit.Measured && GetShare.Measured;
}
