using System.Globalization;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>A process's resident memory in bytes: VmRSS = RssAnon + RssFile + RssShmem.</summary>
internal readonly record struct MemoryUse(long Resident, long Anonymous, long File, long Shared);

/// <summary>Memory and CPU of another process, read from <c>/proc/&lt;pid&gt;</c> (Linux).</summary>
internal static class ProcessStats
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux the bench runs on.
    private const double ClockTicksPerSecond = 100;

    /// <summary>
    /// Resident set size in bytes (<c>VmRSS</c> of <c>/proc/&lt;pid&gt;/status</c>) and its three parts:
    /// <c>RssAnon</c> (GC heap, native heap, stacks), <c>RssFile</c> (mapped files: the runtime and the
    /// loaded assemblies, shared and reclaimable) and <c>RssShmem</c> (for .NET: the JIT-compiled code,
    /// which W^X maps twice through a memfd); null when unreadable (e.g. the process is gone).
    /// </summary>
    public static MemoryUse? Memory(int pid)
    {
        try
        {
            long resident = -1, anonymous = 0, file = 0, shared = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                // "VmRSS:     45232 kB"
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    resident = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anonymous = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                {
                    file = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                {
                    shared = Kilobytes(line) * 1024;
                }
            }

            return resident >= 0 ? new MemoryUse(resident, anonymous, file, shared) : null;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>
    /// CPU time the process has used so far, user + system, all threads (fields 14 and 15 of
    /// <c>/proc/&lt;pid&gt;/stat</c>, 10 ms resolution), or null when unreadable.
    /// </summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: count from after it.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) is fields[12].
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
