using System.Text;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// docs/benchmarks.md: one <c>## </c> section per bench command. A run replaces its own section whole
/// and leaves every other section (and the intro) as it was.
/// </summary>
internal static class BenchmarksDocument
{
    private const string Intro =
        """
        # Benchmarks

        Numbers produced by `bench/CacheSidecar.Bench` (what each mode measures and how to read the tables:
        [`bench/README.md`](../bench/README.md)). Each `##` section is written by one bench command and
        replaced whole when that command runs again; the section names the command, the machine and the date.
        Compare runs only on the same machine.

        """;

    /// <summary>Replaces the section whose heading line is <paramref name="heading"/> (e.g. "## Write-behind"), or appends it.</summary>
    public static void ReplaceSection(string path, string heading, string sectionBody)
    {
        var lines = File.Exists(path)
            ? File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList()
            : Intro.Split('\n').ToList();

        // Ends with an empty line: the blank line before whatever section follows.
        var newSection = (heading + "\n\n" + sectionBody.TrimEnd('\n') + "\n").Split('\n').ToList();
        var start = lines.FindIndex(line => line.TrimEnd() == heading);
        if (start < 0)
        {
            while (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            lines.Add("");
            lines.AddRange(newSection);
        }
        else
        {
            // The section runs to the next level-2 heading (### sub-headings belong to it).
            var end = lines.FindIndex(start + 1, line => line.StartsWith("## ", StringComparison.Ordinal));
            if (end < 0)
            {
                end = lines.Count;
            }

            lines.RemoveRange(start, end - start);
            lines.InsertRange(start, newSection);
        }

        var text = new StringBuilder(string.Join("\n", lines).TrimEnd('\n')).Append('\n').ToString();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
