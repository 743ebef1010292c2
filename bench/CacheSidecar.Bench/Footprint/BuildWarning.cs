using System.Text.RegularExpressions;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// One warning of a <c>dotnet publish</c>, with the assembly it is about: what the trim and AOT
/// tables group by, since a warning in a package is a blocker only that package's authors can remove.
/// </summary>
/// <param name="Code">E.g. IL2026, IL2104, IL3053, NETSDK1179.</param>
/// <param name="Assembly">The assembly the warning is about (see <see cref="Parse"/>).</param>
/// <param name="Tool">
/// "compiler" (Roslyn's trim/AOT analyzers, on our own sources, at compile time), "publish" (ILLink for
/// a trimmed publish, ILC for Native AOT: the whole program, packages included) or "SDK".
/// </param>
/// <param name="Message">The warning's text without its location.</param>
internal sealed partial record BuildWarning(string Code, string Assembly, string Tool, string Message)
{
    /// <summary>The sidecar's own code (src/Sidecar): not a package's, so ours to fix.</summary>
    public const string OwnCode = "CacheSidecar (own code)";

    /// <summary>
    /// Parses the warnings-only file log of MSBuild (one warning per line, e.g.
    /// <c>  1:7>/…/x.cs(185,34): warning IL2075: … [/…/Sidecar.csproj]</c>), identical lines once.
    /// </summary>
    public static IReadOnlyList<BuildWarning> ParseLog(IEnumerable<string> lines) =>
        lines.Select(line => NodePrefix().Replace(line, "").Trim())
            .Where(line => line.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Select(Parse)
            .OfType<BuildWarning>()
            .ToList();

    /// <summary>
    /// The assembly of one warning line: named in the message for ILLink's and ILC's one-per-assembly
    /// summaries (IL2104 "Assembly 'X' produced trim warnings", IL3053 for AOT, the default
    /// <c>TrimmerSingleWarn</c>), the file for a warning located in a package's dll, the project for one
    /// located in our sources. Null for a line that is no warning.
    /// </summary>
    public static BuildWarning? Parse(string line)
    {
        var match = WarningLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var origin = match.Groups["origin"].Value.Trim();
        var code = match.Groups["code"].Value;
        var message = match.Groups["message"].Value.Trim();
        var project = match.Groups["project"].Value;
        var tool = code.StartsWith("NETSDK", StringComparison.Ordinal) ? "SDK"
            : match.Groups["kind"].Success || !IsSourceFile(origin) ? "publish"
            : "compiler";

        var named = NamedAssembly().Match(message);
        var assembly = named.Success ? named.Groups["name"].Value
            : origin.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(origin)
            : IsSourceFile(origin) ? OwnProject(project)
            : tool == "SDK" ? "SDK"
            : $"unattributed ({origin})";
        return new BuildWarning(code, assembly, tool, message);
    }

    private static bool IsSourceFile(string origin) =>
        origin.Contains(".cs(", StringComparison.Ordinal) || origin.EndsWith(".cs", StringComparison.Ordinal);

    private static string OwnProject(string project) => Path.GetFileNameWithoutExtension(project) switch
    {
        "Sidecar" => OwnCode,
        "Contracts" => "CacheSidecar.Contracts (own code)",
        var other => $"{other} (own code)",
    };

    // "  12:7>" or "12>": the node prefix of a multi-process build's file log.
    [GeneratedRegex(@"^\s*\d+(:\d+)?>")]
    private static partial Regex NodePrefix();

    // origin ": " ["Trim analysis " | "AOT analysis "] "warning " code ": " message [" [" project "]"]
    [GeneratedRegex(@"^(?<origin>.*?):\s(?<kind>Trim analysis |AOT analysis )?warning (?<code>[A-Z]+[0-9]+):\s?(?<message>.*?)(\s\[(?<project>[^\]]+)\])?$")]
    private static partial Regex WarningLine();

    [GeneratedRegex(@"^Assembly '(?<name>[^']+)' produced")]
    private static partial Regex NamedAssembly();
}
