using System.Text.RegularExpressions;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// A footprint sidecar that exited or never served. Not a bench failure: a trimmed or AOT publish that
/// crashes at start is a result, and the row reports <see cref="FirstError"/>.
/// </summary>
internal sealed partial class StartFailedException(string reason, IReadOnlyList<string> output)
    : Exception($"{reason}: {FindFirstError(output) ?? "no output"}")
{
    public string Reason { get; } = reason;

    /// <summary>The first lines the process wrote.</summary>
    public IReadOnlyList<string> Output { get; } = output;

    /// <summary>The line that says what went wrong (see <see cref="FindFirstError"/>), or null without output.</summary>
    public string? FirstError => FindFirstError(Output);

    /// <summary>
    /// The first line naming an exception with its message ("Unhandled exception. X: …" or
    /// "…Exception: …", as the console logger prints a failed host start), else the first line after a
    /// <c>fail:</c>/<c>crit:</c> log header, else the last line; shortened for a table cell.
    /// </summary>
    public static string? FindFirstError(IReadOnlyList<string> output)
    {
        var lines = output.Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var line = lines.FirstOrDefault(l => l.StartsWith("Unhandled exception", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => ExceptionWithMessage().IsMatch(l))
            ?? lines.SkipWhile(l => !l.StartsWith("fail:", StringComparison.Ordinal) && !l.StartsWith("crit:", StringComparison.Ordinal)).Skip(1).FirstOrDefault()
            ?? lines.LastOrDefault();
        return line is null ? null : line.Length > 400 ? line[..400] + " …" : line;
    }

    // "Microsoft.Extensions.Options.OptionsValidationException: Sidecar:Namespaces:… is required …"
    [GeneratedRegex(@"^[\w.`]+(Exception|Error): \S")]
    private static partial Regex ExceptionWithMessage();
}
