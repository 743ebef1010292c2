namespace CacheSidecar.Bench.FastPath;

/// <summary>One 1,000 req/s row over its rounds; every figure is the median of its runs with their range.</summary>
internal sealed record RateRow(string Name, IReadOnlyList<RateRun> Runs)
{
    public bool Measured => Runs.Count > 0;

    public Spread Percentile(double percentile) => Spread.Of(Runs, r => r.Result.PercentileMicroseconds(percentile));

    public Spread Max => Spread.Of(Runs, r => r.Result.MaxMicroseconds);

    public Spread Achieved => Spread.Of(Runs, r => r.Result.AchievedRate);

    public Spread Lateness(double percentile) => Spread.Of(Runs, r => r.Result.LatenessMicroseconds(percentile));

    /// <summary>Summed over the runs: none may be hidden by the median.</summary>
    public long Errors => Runs.Sum(r => r.Result.Errors);

    public bool KeptUp => Runs.All(r => r.Result.KeptUp);

    public string? FirstProblem => Runs.Select(r => r.Result.FirstProblem).FirstOrDefault(p => p is not null);

    public RateRun? InRound(int round) => Runs.FirstOrDefault(r => r.Round == round);

    /// <summary>This row minus <paramref name="baseline"/> at a percentile, round by round (µs), as a spread.</summary>
    public Spread AddedOver(RateRow baseline, double percentile) => Spread.Of(
        Runs.Select(r => baseline.InRound(r.Round) is { } b
            ? r.Result.PercentileMicroseconds(percentile) - b.Result.PercentileMicroseconds(percentile)
            : double.NaN));
}
