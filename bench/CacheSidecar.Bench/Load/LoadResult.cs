using System.Diagnostics;
using HdrHistogram;

namespace CacheSidecar.Bench.Load;

/// <summary>What one closed-loop run measured.</summary>
/// <param name="Name">Scenario label.</param>
/// <param name="Latencies">Latencies (Stopwatch ticks) of the calls completed inside the measured window.</param>
/// <param name="Window">Length of the measured window.</param>
/// <param name="CompletedIncludingWarmUp">Every call completed, warm-up included (to divide backend command counts by).</param>
/// <param name="Errors">Calls that threw (e.g. an RpcException).</param>
/// <param name="Unexpected">Calls that answered, but not as the scenario expects (e.g. a Get that was not a cache hit).</param>
/// <param name="FirstProblem">The first error or unexpected answer, for the report.</param>
internal sealed record LoadResult(
    string Name,
    LongHistogram Latencies,
    TimeSpan Window,
    long CompletedIncludingWarmUp,
    long Errors,
    long Unexpected,
    string? FirstProblem)
{
    /// <summary>Calls completed inside the window.</summary>
    public long Operations => Latencies.TotalCount;

    public double OperationsPerSecond => Operations / Window.TotalSeconds;

    /// <summary>Latency at a percentile (e.g. 99.9) in microseconds.</summary>
    public double PercentileMicroseconds(double percentile) =>
        Operations == 0 ? double.NaN : Latencies.GetValueAtPercentile(percentile) * 1_000_000.0 / Stopwatch.Frequency;

    public double MeanMicroseconds => Operations == 0 ? double.NaN : Latencies.GetMean() * 1_000_000.0 / Stopwatch.Frequency;

    public double MaxMicroseconds => Operations == 0 ? double.NaN : Latencies.GetMaxValue() * 1_000_000.0 / Stopwatch.Frequency;
}
