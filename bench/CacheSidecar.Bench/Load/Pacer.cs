using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CacheSidecar.Bench.Load;

/// <summary>
/// Sleeps the calling thread until a <see cref="Stopwatch"/> timestamp with sub-millisecond precision
/// and without spinning: <c>nanosleep</c> after setting the thread's timer slack to 1 ns
/// (<c>prctl(PR_SET_TIMERSLACK)</c>; the default slack is 50 µs). <c>Thread.Sleep</c> and
/// <c>Task.Delay</c> only know milliseconds, far too coarse for 1,000+ req/s. Spinning instead would
/// take a core away from the sidecar and redis-server on a small machine.
/// </summary>
internal static partial class Pacer
{
    private const int PrSetTimerSlack = 29;

    /// <summary>Call once on the dedicated thread that will pace (the slack is per thread). False when not on Linux.</summary>
    public static bool TightenTimerSlack()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        return prctl(PrSetTimerSlack, 1, 0, 0, 0) == 0;
    }

    /// <summary>Returns when <see cref="Stopwatch.GetTimestamp"/> ≥ <paramref name="timestamp"/> (a little after, by the kernel's wake-up latency).</summary>
    public static void SleepUntil(long timestamp)
    {
        while (true)
        {
            var remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            var nanoseconds = (long)(remaining * (1_000_000_000.0 / Stopwatch.Frequency));
            if (OperatingSystem.IsLinux())
            {
                var request = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
                _ = nanosleep(ref request, IntPtr.Zero); // EINTR: the loop sleeps the rest
            }
            else
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int nanosleep(ref Timespec request, IntPtr remaining);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
