using CacheSidecar.Bench.FastPath;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>One row of part 1 at one concurrency over its rounds; every figure is the median of its runs.</summary>
/// <param name="Name">The scenario's label.</param>
/// <param name="Concurrency">Closed-loop callers.</param>
/// <param name="ThroughSidecar">The read is a call to sidecar A, whose CPU per call is then part of its cost.</param>
/// <param name="Runs">One per round.</param>
internal sealed record ReadRow(string Name, int Concurrency, bool ThroughSidecar, IReadOnlyList<ReadRun> Runs)
{
    public Spread Ops => Spread.Of(Runs, r => r.OpsPerSecond);

    public Spread Percentile(double percentile) =>
        Spread.Of(Runs, r => r.Result.Load.PercentileMicroseconds(percentile));

    public double RedisCommandsPerCall => Spread.Of(Runs, r => r.Result.RedisCommandsPerCall).Median;

    public TimeSpan? BenchCpuPerCall => Cpu(r => r.Result.BenchCpuPerCall);

    public TimeSpan? SidecarCpuPerCall => Cpu(r => r.Result.SidecarCpuPerCall);

    public TimeSpan? RedisCpuPerCall => Cpu(r => r.Result.RedisCpuPerCall);

    /// <summary>Failed calls plus unexpected answers, summed over the runs.</summary>
    public long Errors => Runs.Sum(r => r.Result.Load.Errors + r.Result.Load.Unexpected);

    public string? FirstProblem => Runs.Select(r => r.Result.Load.FirstProblem).FirstOrDefault(p => p is not null);

    /// <summary>ops/s of one round (NaN when that round has no run), to take ratios within a round.</summary>
    public double InRound(int round) => Runs.FirstOrDefault(r => r.Round == round)?.OpsPerSecond ?? double.NaN;

    private TimeSpan? Cpu(Func<ReadRun, TimeSpan?> perCall) =>
        Spread.Of(Runs, r => perCall(r)?.TotalMicroseconds ?? double.NaN) is { Measured: true } s
            ? TimeSpan.FromMicroseconds(s.Median)
            : null;
}
