using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Api;

/// <summary>
/// One scenario's repetitions, summarised column by column: each figure is the median of that column
/// over the runs (so a row's p99 need not come from the run with the median ops/s), because a single
/// run on a shared 2-core machine can be disturbed and the published figure must survive a rerun.
/// </summary>
/// <param name="Name">The row's label.</param>
/// <param name="ItemsPerCall">Keys written per call (1 except for BatchPut).</param>
/// <param name="Runs">The repetitions, in run order; empty when the row was not run.</param>
/// <param name="NotRun">Why the row was not run, or null.</param>
internal sealed record ApiRow(string Name, int ItemsPerCall, IReadOnlyList<ApiRun> Runs, string? NotRun)
{
    public bool Measured => Runs.Count > 0;

    public double OpsPerSecond => Statistics.Median(Runs.Select(r => r.Result.Load.OperationsPerSecond));

    public double MinOpsPerSecond => Runs.Count == 0 ? double.NaN : Runs.Min(r => r.Result.Load.OperationsPerSecond);

    public double MaxOpsPerSecond => Runs.Count == 0 ? double.NaN : Runs.Max(r => r.Result.Load.OperationsPerSecond);

    public double ItemsPerSecond => OpsPerSecond * ItemsPerCall;

    /// <summary>Failed calls plus unexpected answers, summed over every run: none may be hidden by the median.</summary>
    public long Errors => Runs.Sum(r => r.Result.Load.Errors + r.Result.Load.Unexpected);

    /// <summary>The first problem of the first run that had one.</summary>
    public string? FirstProblem => Runs.Select(r => r.Result.Load.FirstProblem).FirstOrDefault(p => p is not null);

    public double RedisCommandsPerCall => Statistics.Median(Runs.Select(r => r.Result.RedisCommandsPerCall));

    public double PercentileMicroseconds(double percentile) =>
        Statistics.Median(Runs.Select(r => r.Result.Load.PercentileMicroseconds(percentile)));

    /// <summary>The write-behind drains of the runs (empty for other rows).</summary>
    public IReadOnlyList<WriteBehindDrain> Drains => Runs.Where(r => r.Drain is not null).Select(r => r.Drain!.Value).ToList();

    public static ApiRow Skipped(ApiScenario scenario, string reason) => new(scenario.Name, scenario.ItemsPerCall, [], reason);
}
