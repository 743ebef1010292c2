namespace CacheSidecar.Bench.Footprint;

/// <summary>Everything one footprint run measured.</summary>
/// <param name="Rows">One per lever, in catalogue order.</param>
/// <param name="Publishes">One per publish variant built, in build order.</param>
/// <param name="Elapsed">Wall-clock time of the whole run (builds included).</param>
/// <param name="SdkVersion">The SDK that published (<c>dotnet --version</c>).</param>
internal sealed record FootprintResults(
    IReadOnlyList<LeverResult> Rows,
    IReadOnlyList<PublishResult> Publishes,
    TimeSpan Elapsed,
    string SdkVersion)
{
    public LeverResult? Baseline => Rows.FirstOrDefault(r => r.Lever.Key == "baseline");
}
