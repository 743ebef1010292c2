using System.Text;
using System.Text.RegularExpressions;

namespace CacheSidecar.Tests.Deployment;

/// <summary>.dockerignore matching, as Docker does it: Go path patterns plus <c>**</c>, a match on a
/// parent directory excludes what is in it, the last matching line wins, <c>!</c> re-includes.</summary>
internal static class DockerIgnore
{
    /// <summary>The pattern that excludes <paramref name="path"/>, or null if it is sent to the builder.</summary>
    public static string? Matches(IEnumerable<string> lines, string path)
    {
        var candidates = new List<string>();
        var parts = path.Split('/');
        for (var i = 1; i <= parts.Length; i++)
        {
            candidates.Add(string.Join('/', parts.Take(i)));
        }

        string? excludedBy = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var negated = line.StartsWith('!');
            var pattern = (negated ? line[1..] : line).Trim().TrimStart('/').TrimEnd('/');
            var regex = new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant);
            if (candidates.Any(regex.IsMatch))
            {
                excludedBy = negated ? null : line;
            }
        }

        return excludedBy;
    }

    private static string ToRegex(string glob)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches any number of directories, including none.
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(glob[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(glob[i].ToString()),
                });
            }
        }

        return regex.ToString();
    }
}
