using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>Median and maximum of the RSS samples of one stretch of time, and the sample at the median split into its parts.</summary>
internal sealed record RssStats(int Samples, long MedianBytes, long MaxBytes, MemoryUse Median);

/// <summary>
/// Samples the sidecar's resident set size (<c>VmRSS</c>) every 100 ms for the whole run, so any
/// stretch of it (e.g. the second half of the 1,000 req/s run) can be summarised afterwards.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly int _pid;
    private readonly List<(long At, MemoryUse Memory)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Median and max of the samples taken between two <see cref="Stopwatch"/> timestamps; null without samples.</summary>
    public RssStats? Between(long from, long to)
    {
        List<MemoryUse> values;
        lock (_samples)
        {
            values = _samples.Where(s => s.At >= from && s.At < to).Select(s => s.Memory).OrderBy(m => m.Resident).ToList();
        }

        return values.Count == 0 ? null : new RssStats(values.Count, values[values.Count / 2].Resident, values[^1].Resident, values[values.Count / 2]);
    }

    /// <summary>Every sample so far.</summary>
    public RssStats? All() => Between(long.MinValue, long.MaxValue);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            if (ProcessStats.Memory(_pid) is { } memory)
            {
                lock (_samples)
                {
                    _samples.Add((Stopwatch.GetTimestamp(), memory));
                }
            }
        }
        while (await timer.WaitForNextTickAsync(_stop.Token));
    }
}
