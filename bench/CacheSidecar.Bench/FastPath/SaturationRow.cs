namespace CacheSidecar.Bench.FastPath;

/// <summary>One closed-loop row over its rounds; every figure is the median of its runs.</summary>
/// <param name="Name">The row's label.</param>
/// <param name="KeysPerCall">Keys one call reads (BatchGet), for keys/s; 1 otherwise.</param>
/// <param name="Runs">One per round.</param>
internal sealed record SaturationRow(string Name, int KeysPerCall, IReadOnlyList<SaturationRun> Runs)
{
    public Spread Ops => Spread.Of(Runs, r => r.OpsPerSecond);

    public double OpsPerSecond => Ops.Median;

    public Spread Percentile(double percentile) => Spread.Of(Runs, r => r.Scenario.Load.PercentileMicroseconds(percentile));

    public double RedisCommandsPerCall => Spread.Of(Runs, r => r.Scenario.RedisCommandsPerCall).Median;

    public double MongoCommandsPerCall => Spread.Of(Runs, r => r.Scenario.MongoCommandsPerCall).Median;

    public TimeSpan? SidecarCpuPerCall => Cpu(r => r.Scenario.SidecarCpuPerCall);

    public TimeSpan? RedisCpuPerCall => Cpu(r => r.Scenario.RedisCpuPerCall);

    public TimeSpan? BenchCpuPerCall => Cpu(r => r.Scenario.BenchCpuPerCall);

    public double? NearCacheShare => Spread.Of(Runs, r => r.NearCacheShare ?? double.NaN) is { Measured: true } s ? s.Median : null;

    /// <summary>Failed calls plus unexpected answers, summed over the runs.</summary>
    public long Errors => Runs.Sum(r => r.Scenario.Load.Errors + r.Scenario.Load.Unexpected);

    public string? FirstProblem => Runs.Select(r => r.Scenario.Load.FirstProblem).FirstOrDefault(p => p is not null);

    public double InRound(int round) => Runs.FirstOrDefault(r => r.Round == round)?.OpsPerSecond ?? double.NaN;

    private TimeSpan? Cpu(Func<SaturationRun, TimeSpan?> perCall) =>
        Spread.Of(Runs, r => perCall(r)?.TotalMicroseconds ?? double.NaN) is { Measured: true } s ? TimeSpan.FromMicroseconds(s.Median) : null;
}
