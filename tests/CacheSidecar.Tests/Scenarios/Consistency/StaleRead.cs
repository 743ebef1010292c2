namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// A Get that missed a write which had finished before the Get began. <paramref name="Missed"/> is the
/// earliest-finished such write, so <paramref name="Staleness"/> (the Get's start minus that write's end) is
/// how long the Get's answer had already been out of date: the largest lag behind any write it missed.
/// </summary>
internal sealed record StaleRead(Op Read, Op Missed, TimeSpan Staleness)
{
    public override string ToString() =>
        $"{Read} missed {Missed}, finished {Staleness.TotalMilliseconds:0.0} ms before the read began";
}
