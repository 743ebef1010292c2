using System.Globalization;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// Writes a whole history as tab-separated lines when <c>CONSISTENCY_HISTORY_DIR</c> names a directory, so a
/// violation can be studied with every operation around it, not only the ones a message names.
/// </summary>
internal static class HistoryDump
{
    public const string DirectoryVariable = "CONSISTENCY_HISTORY_DIR";

    /// <summary>The file written, or null when the variable is not set.</summary>
    public static string? WriteIfRequested(string name, IEnumerable<Op> history, IEnumerable<string>? notes = null)
    {
        var directory = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (string.IsNullOrWhiteSpace(directory))
        {
            return null;
        }

        Directory.CreateDirectory(directory);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        var path = Path.Combine(directory, $"{name}-{stamp}.tsv");
        var lines = (notes ?? []).Select(note => "# " + note)
            .Append("client\tsidecar\tkind\tkey\tinvoke\tcomplete\tok\tfound\tversion\tvalue\terror")
            .Concat(history.OrderBy(op => op.Invoke).Select(op => string.Join('\t',
                op.Client, op.Sidecar, op.Kind, op.Key, Op.Seconds(op.Invoke), Op.Seconds(op.Complete), op.Ok,
                op.Found, op.Version, op.Value, op.Error)));
        File.WriteAllLines(path, lines);
        return path;
    }
}
