using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>One external write rate: the writes, the sampled end-to-end lags, and the sidecar's own view.</summary>
/// <param name="TargetRate">External writes per second scheduled (open loop).</param>
/// <param name="SampleEvery">Every this many-th write was sampled (polled until the new value was served).</param>
/// <param name="Writes">The writer's run; its latencies are UpdateOne's, from each write's intended send time.</param>
/// <param name="Probes">The end-to-end measure.</param>
/// <param name="Watcher">The sidecar's lag histogram and change counters over the run (two scrapes apart).</param>
/// <param name="DrainedAfter">
/// How long after the last write the watcher's change counter stopped moving; null if it never did.
/// </param>
/// <param name="LoadAverage">The 1/5/15-minute load average right after the run.</param>
internal sealed record LagRateResult(
    int TargetRate,
    int SampleEvery,
    OpenLoopResult Writes,
    LagProbes Probes,
    WatcherSnapshot Watcher,
    TimeSpan? DrainedAfter,
    string LoadAverage)
{
    public long Errors => Writes.Errors + Probes.Errors;
}
