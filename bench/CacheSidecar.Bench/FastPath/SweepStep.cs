using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>One offered load of one sweep series, over the rounds that reached it.</summary>
/// <param name="OfferedRate">req/s.</param>
/// <param name="Runs">One per round that ran this step (a round stops its series at the first step that did not keep up).</param>
internal sealed record SweepStep(int OfferedRate, IReadOnlyList<OpenLoopResult> Runs)
{
    public Spread Percentile(double percentile) => Spread.Of(Runs, r => r.PercentileMicroseconds(percentile));

    public Spread Achieved => Spread.Of(Runs, r => r.AchievedRate);

    /// <summary>Every run of the step kept up.</summary>
    public bool KeptUp => Runs.All(r => r.KeptUp);

    public int NotKeptUp => Runs.Count(r => !r.KeptUp);

    /// <summary>Highest share of sends that found the in-flight bound full, over the runs.</summary>
    public double WaitedShare => Runs.Count == 0 ? 0 : Runs.Max(r => r.WaitedShare);

    public bool Measured => Runs.Any(r => r.Measured > 0);
}
