using System.Text.RegularExpressions;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// The runtime knobs the image ships (the Dockerfile's <c>ENV DOTNET_GC…</c> / <c>DOTNET_gc…</c> /
/// <c>DOTNET_Tiered…</c> lines, decision 0020), read from the Dockerfile itself so the benches measure what
/// ships without a second copy of the values. The <c>footprint</c> command does not use them: its rows set
/// their own knobs on an untuned publish.
/// </summary>
internal static partial class ShippedRuntimeKnobs
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Knobs = new(Read);

    public static IReadOnlyDictionary<string, string> All => Knobs.Value;

    /// <summary>The shipped knobs under <paramref name="environment"/>, whose own values win.</summary>
    public static IReadOnlyDictionary<string, string> Under(IReadOnlyDictionary<string, string> environment)
    {
        var merged = new Dictionary<string, string>(All, StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            merged[name] = value;
        }

        return merged;
    }

    private static Dictionary<string, string> Read()
    {
        var dockerfile = Path.Combine(RepositoryPaths.Root, "Dockerfile");
        return File.ReadLines(dockerfile)
            .Select(line => KnobLine().Match(line))
            .Where(match => match.Success)
            .ToDictionary(match => match.Groups["name"].Value, match => match.Groups["value"].Value, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^ENV\s+(?<name>DOTNET_(GC|gc|Tiered)\w*)=(?<value>\S+)\s*$")]
    private static partial Regex KnobLine();
}
