using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Footprint;

/// <summary>One row of the footprint table.</summary>
/// <param name="Lever">The lever measured.</param>
/// <param name="Publish">The build it ran (shared by every knob lever: the baseline publish).</param>
/// <param name="Starts">Start-to-ready of each start that served.</param>
/// <param name="Memory">Median of the samples at the end of the load; null when there was no load.</param>
/// <param name="MemorySamples">How many samples the median is of.</param>
/// <param name="Load">The Get-hit load at the fixed rate; null when the sidecar never got that far.</param>
/// <param name="Runtime">GC and JIT counters of the load; null without one.</param>
/// <param name="Problem">Why numbers are missing or suspect (build failed, crashed at start, errors under load), else null.</param>
/// <param name="CoreApiFailure">
/// After the load, <see cref="CoreApiCheck"/>: null when every call answered as expected (or it did not run), else why not.
/// </param>
/// <param name="CoreApiChecked">Whether <see cref="CoreApiCheck"/> ran.</param>
internal sealed record LeverResult(
    Lever Lever,
    PublishResult Publish,
    IReadOnlyList<TimeSpan> Starts,
    MemorySample? Memory,
    int MemorySamples,
    OpenLoopResult? Load,
    RuntimeCounters? Runtime,
    string? Problem,
    string? CoreApiFailure = null,
    bool CoreApiChecked = false)
{
    /// <summary>A row whose publish did not build: nothing ran.</summary>
    public static LeverResult BuildFailed(Lever lever, PublishResult publish) =>
        new(lever, publish, [], null, 0, null, null, $"build failed: {publish.FirstError}");

    /// <summary>Median start-to-ready (the middle one of an odd count, the lower middle of an even one).</summary>
    public TimeSpan? MedianStart => Starts.Count == 0 ? null : Starts.Order().ElementAt((Starts.Count - 1) / 2);

    /// <summary>It started, took the whole load and answered every call as a cache hit.</summary>
    public bool Served => Load is { Errors: 0, Measured: > 0 } && Problem is null;
}
