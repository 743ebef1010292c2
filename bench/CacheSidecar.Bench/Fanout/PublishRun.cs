using System.Diagnostics;

namespace CacheSidecar.Bench.Fanout;

/// <summary>What the publisher did in one run.</summary>
/// <param name="PerNamespace">Invalidations published per namespace (script calls that returned a sequence).</param>
/// <param name="Errors">Script calls that failed or returned an unexpected sequence.</param>
/// <param name="FirstError">The first of them, for the report.</param>
/// <param name="Start">Stopwatch timestamp the first call was due.</param>
/// <param name="End">Stopwatch timestamp the last call returned.</param>
internal sealed record PublishRun(long[] PerNamespace, long Errors, string? FirstError, long Start, long End)
{
    public long Published => PerNamespace.Sum();

    public double Seconds => (double)(End - Start) / Stopwatch.Frequency;
}
