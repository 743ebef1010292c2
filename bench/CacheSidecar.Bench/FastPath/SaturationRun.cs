using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>One round's run of one closed-loop row.</summary>
/// <param name="Round">1-based.</param>
/// <param name="Scenario">Measured numbers.</param>
/// <param name="NearCacheShare">For the L1 row: share of its reads the sidecar counted as served by the near-cache.</param>
internal sealed record SaturationRun(int Round, ScenarioResult Scenario, double? NearCacheShare = null)
{
    public double OpsPerSecond => Scenario.Load.OperationsPerSecond;
}
