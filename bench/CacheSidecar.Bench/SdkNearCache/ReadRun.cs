using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>One measured run of a part-1 row at one concurrency.</summary>
/// <param name="Round">1-based round.</param>
/// <param name="Result">Throughput, latency and the per-call cost elsewhere.</param>
internal sealed record ReadRun(int Round, ScenarioResult Result)
{
    public double OpsPerSecond => Result.Load.OperationsPerSecond;
}
