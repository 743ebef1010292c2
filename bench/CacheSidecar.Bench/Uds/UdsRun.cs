using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Uds;

/// <summary>One repetition of one row: exactly one of <paramref name="Closed"/> and <paramref name="Open"/> is set.</summary>
/// <param name="Round">The round it ran in (1-based): runs of a TCP row and its UDS row in the same round are a pair.</param>
/// <param name="Closed">The closed-loop numbers of a saturation row.</param>
/// <param name="Open">The open-loop numbers of a fixed-rate row.</param>
/// <param name="SidecarCpuPerCall">Sidecar CPU time (user + system) per call, warm-up included; null when not read.</param>
/// <param name="BenchCpuPerCall">This process's CPU time per call (load generator and gRPC client), warm-up included; null when not read.</param>
/// <param name="SidecarCores">Sidecar CPU time over the run's wall-clock time (1 = one core busy), warm-up included; null when not read.</param>
/// <param name="BenchCores">The same for this process; null when not read.</param>
internal sealed record UdsRun(
    int Round,
    LoadResult? Closed,
    OpenLoopResult? Open,
    TimeSpan? SidecarCpuPerCall,
    TimeSpan? BenchCpuPerCall,
    double? SidecarCores,
    double? BenchCores)
{
    /// <summary>Closed loop: calls per second; open loop: the achieved rate.</summary>
    public double OpsPerSecond => Closed?.OperationsPerSecond ?? Open?.AchievedRate ?? double.NaN;

    public double PercentileMicroseconds(double percentile) =>
        Closed?.PercentileMicroseconds(percentile) ?? Open?.PercentileMicroseconds(percentile) ?? double.NaN;

    /// <summary>Failed calls plus unexpected answers (and, open loop, calls never sent or never answered).</summary>
    public long Errors => Closed is { } closed ? closed.Errors + closed.Unexpected : Open?.Errors ?? 0;

    public string? FirstProblem => Closed?.FirstProblem ?? Open?.FirstProblem;

    /// <summary>An open-loop run whose answers came slower than the calls were scheduled; always true for closed loop.</summary>
    public bool KeptUp => Open?.KeptUp ?? true;
}
