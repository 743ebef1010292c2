using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CacheSidecar.Bench.Reporting;

/// <summary>The facts a reader needs to compare two runs: hardware, OS, runtime, versions, load.</summary>
internal sealed record MachineInfo(
    int Cores,
    string CpuModel,
    string OperatingSystem,
    string Runtime,
    string BuildConfiguration,
    string? Commit,
    DateTimeOffset StartedUtc,
    string LoadAverageAtStart)
{
    public static MachineInfo Capture(string repositoryRoot, string buildConfiguration) => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        buildConfiguration,
        GitCommit(repositoryRoot),
        DateTimeOffset.UtcNow,
        LoadAverage());

    /// <summary>The 1/5/15-minute load averages: the machine may be shared, and this shows it.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" ", fields.Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string? GitCommit(string repositoryRoot)
    {
        try
        {
            var info = new ProcessStartInfo("git", ["-C", repositoryRoot, "rev-parse", "--short", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var git = Process.Start(info);
            if (git is null)
            {
                return null;
            }

            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            if (git.ExitCode != 0 || commit.Length == 0)
            {
                return null;
            }

            // A dirty tree is worth knowing: the numbers are then not of that commit exactly.
            // docs/benchmarks.md itself is left out: every run rewrites it.
            var status = new ProcessStartInfo("git", ["-C", repositoryRoot, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs/benchmarks.md"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var dirty = Process.Start(status);
            var changes = dirty?.StandardOutput.ReadToEnd() ?? "";
            dirty?.WaitForExit();
            return changes.Trim().Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"{commit} (with uncommitted changes)") : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on PATH
        }
    }
}
