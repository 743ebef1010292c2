using System.Diagnostics;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// The application's reads of one key around one write (<see cref="InvalidationRounds"/>): each old answer with
/// its start and end, and the end of the first new one. Written by one reader at a time; the write's timestamps
/// are set by the writer, which reads the result only after the reader is done.
/// </summary>
internal sealed class Reads(long expected)
{
    private readonly List<(long Start, long End)> _old = [];
    private long _firstNew;

    /// <summary>Stopwatch timestamp at which B's Put returned; 0 until then.</summary>
    public long PutReturned;

    /// <summary>Set after the first read: the hot reader is running before the write is sent.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Records one read of <paramref name="count"/> (null: not found). True for the new value.</summary>
    public bool Record(long start, long end, long? count)
    {
        if (count == expected)
        {
            _firstNew = end;
            return true;
        }

        _old.Add((start, end));
        return false;
    }

    /// <summary>True when B's Put returned more than <paramref name="giveUp"/> before <paramref name="now"/>.</summary>
    public bool PastGiveUp(long now, TimeSpan giveUp)
    {
        var returned = Volatile.Read(ref PutReturned);
        return returned != 0 && Stopwatch.GetElapsedTime(returned, now) > giveUp;
    }

    /// <param name="sent">When B's Put was sent.</param>
    /// <param name="returned">When it returned.</param>
    /// <param name="dropped">When the SDK dropped the key; null when it did not.</param>
    public InvalidationSample Sample(long sent, long returned, long? dropped)
    {
        var afterPut = _old.Where(r => r.End > returned).ToList();
        var bound = InvalidationRounds.Bound;
        return new InvalidationSample(
            Micros(returned - sent),
            dropped is { } d ? Micros(d - returned) : null,
            _firstNew == 0 ? double.NaN : Micros(_firstNew - returned),
            afterPut.Count,
            afterPut.Count == 0 ? double.NaN : Micros(afterPut.Max(r => r.End) - returned),
            dropped is { } at ? _old.Count(r => r.Start > at) : 0,
            afterPut.Count(r => Stopwatch.GetElapsedTime(returned, r.End) > bound));
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
