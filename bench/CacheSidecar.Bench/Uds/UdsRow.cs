using CacheSidecar.Bench.Load;
namespace CacheSidecar.Bench.Uds;

/// <summary>
/// One row's repetitions, summarised column by column: each figure is the median of that column over the
/// runs (a single run on the shared 2-core machine can be disturbed; the median of 3 survives one such run).
/// </summary>
/// <param name="Scenario">The row.</param>
/// <param name="Runs">The repetitions, in round order.</param>
internal sealed record UdsRow(UdsScenario Scenario, IReadOnlyList<UdsRun> Runs)
{
    public double OpsPerSecond => Statistics.Median(Runs.Select(r => r.OpsPerSecond));

    public double MinOpsPerSecond => Runs.Count == 0 ? double.NaN : Runs.Min(r => r.OpsPerSecond);

    public double MaxOpsPerSecond => Runs.Count == 0 ? double.NaN : Runs.Max(r => r.OpsPerSecond);

    public double PercentileMicroseconds(double percentile) => Statistics.Median(Runs.Select(r => r.PercentileMicroseconds(percentile)));

    public double MinPercentileMicroseconds(double percentile) => Runs.Count == 0 ? double.NaN : Runs.Min(r => r.PercentileMicroseconds(percentile));

    public double MaxPercentileMicroseconds(double percentile) => Runs.Count == 0 ? double.NaN : Runs.Max(r => r.PercentileMicroseconds(percentile));

    /// <summary>Median sidecar CPU per call in µs, NaN when never read.</summary>
    public double SidecarCpuMicrosecondsPerCall => Statistics.Median(Runs.Select(r => r.SidecarCpuPerCall?.TotalMicroseconds ?? double.NaN));

    /// <summary>Median bench-process CPU per call in µs, NaN when never read.</summary>
    public double BenchCpuMicrosecondsPerCall => Statistics.Median(Runs.Select(r => r.BenchCpuPerCall?.TotalMicroseconds ?? double.NaN));

    /// <summary>Median sidecar CPU in cores (1 = one core busy), NaN when never read.</summary>
    public double SidecarCores => Statistics.Median(Runs.Select(r => r.SidecarCores ?? double.NaN));

    /// <summary>Median bench-process CPU in cores, NaN when never read.</summary>
    public double BenchCores => Statistics.Median(Runs.Select(r => r.BenchCores ?? double.NaN));

    /// <summary>Summed over every run: none may be hidden by the median.</summary>
    public long Errors => Runs.Sum(r => r.Errors);

    public string? FirstProblem => Runs.Select(r => r.FirstProblem).FirstOrDefault(p => p is not null);

    public bool KeptUp => Runs.All(r => r.KeptUp);

    /// <summary>The run of <paramref name="round"/>, or null.</summary>
    public UdsRun? InRound(int round) => Runs.FirstOrDefault(r => r.Round == round);
}
