namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// One row of the footprint table: a publish variant started with some runtime knobs (environment
/// variables). Each lever differs from the baseline in one respect only.
/// </summary>
/// <param name="Key">The name <c>--levers</c> takes.</param>
/// <param name="Label">The row's name in the report.</param>
/// <param name="HowApplied">What was changed, as a reader would apply it.</param>
/// <param name="Variant">The publish it runs.</param>
/// <param name="Knobs">Environment variables on top of the bench's own (runtime knobs; values as the runtime parses them, numbers in hex).</param>
/// <param name="InDefaultRun">Run without <c>--levers</c>; the others only when named.</param>
internal sealed record Lever(
    string Key,
    string Label,
    string HowApplied,
    PublishVariant Variant,
    IReadOnlyDictionary<string, string> Knobs,
    bool InDefaultRun = true)
{
    /// <summary>A publish-variant lever: no knob, its own build.</summary>
    public bool IsPublishLever => !Variant.IsBaseline;
}
