using System.Globalization;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// A process's memory at one moment, in bytes, from <c>/proc/&lt;pid&gt;/smaps_rollup</c> (the sums
/// over all its mappings) and <c>RssShmem</c> of <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
/// <param name="Rss">Resident set size.</param>
/// <param name="Private">
/// <c>Private_Clean + Private_Dirty</c>: pages no other process maps. Dirty is the anonymous memory
/// plus the JIT-compiled code; clean is file pages (the runtime, the assemblies, ReadyToRun code) that
/// no other process on the machine happens to map at the moment, so it depends on what else runs.
/// </param>
/// <param name="Anonymous">GC heap, native heap, stacks.</param>
/// <param name="Shmem">
/// For .NET the JIT-compiled code and stubs: the runtime's W^X executable memory is a shared memfd
/// mapping, so it shows as shmem, not as anonymous memory.
/// </param>
internal readonly record struct MemorySample(long Rss, long Private, long Anonymous, long Shmem)
{
    /// <summary>Null when the process is gone or /proc is not readable (not Linux).</summary>
    public static MemorySample? Read(int pid)
    {
        try
        {
            long rss = -1, privateClean = 0, privateDirty = 0, anonymous = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                // "Private_Dirty:     25300 kB"
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue; // the header line: address range and "[rollup]"
                }

                switch (line[..colon])
                {
                    case "Rss":
                        rss = Kilobytes(line, colon);
                        break;
                    case "Private_Clean":
                        privateClean = Kilobytes(line, colon);
                        break;
                    case "Private_Dirty":
                        privateDirty = Kilobytes(line, colon);
                        break;
                    case "Anonymous":
                        anonymous = Kilobytes(line, colon);
                        break;
                }
            }

            var shmem = ProcessStats.Memory(pid)?.Shared ?? 0;
            return rss < 0 ? null : new MemorySample(rss, privateClean + privateDirty, anonymous, shmem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The median of each field on its own (the fields of one sample are not kept together).</summary>
    public static MemorySample? Median(IReadOnlyList<MemorySample> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        static long Of(IEnumerable<long> values)
        {
            var sorted = values.Order().ToList();
            return sorted[sorted.Count / 2];
        }

        return new MemorySample(
            Of(samples.Select(s => s.Rss)), Of(samples.Select(s => s.Private)),
            Of(samples.Select(s => s.Anonymous)), Of(samples.Select(s => s.Shmem)));
    }

    private static long Kilobytes(string line, int colon) =>
        long.Parse(line[(colon + 1)..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
}
