namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>The samples of one phase of part 2 and what the report reads from them.</summary>
/// <param name="Name">"quiet" or "hot reader".</param>
/// <param name="HotReader">A caller read the key back to back through the write (else one read after the drop).</param>
/// <param name="Samples">One per write.</param>
internal sealed record InvalidationPhase(string Name, bool HotReader, IReadOnlyList<InvalidationSample> Samples)
{
    public int Writes => Samples.Count;

    /// <summary>Writes whose KEYS event never reached the SDK within the wait.</summary>
    public int Missing => Samples.Count(s => s.DropMicros is null);

    public IReadOnlyList<double> Drops => Samples.Where(s => s.DropMicros is not null)
        .Select(s => s.DropMicros!.Value).ToList();

    /// <summary>The drops timed from the moment B's Put was sent (never negative).</summary>
    public IReadOnlyList<double> DropsFromSent => Samples.Where(s => s.DropMicros is not null)
        .Select(s => s.DropMicros!.Value + s.PutMicros).ToList();

    /// <summary>Drops that happened before B's Put had returned to the writer.</summary>
    public int DroppedBeforePutReturned => Drops.Count(d => d < 0);

    public IReadOnlyList<double> NewReads => Samples.Select(s => s.NewReadMicros).Where(v => !double.IsNaN(v))
        .ToList();

    /// <summary>Writes whose new value no application read returned before the reader gave up.</summary>
    public int NeverReadNew => Samples.Count(s => double.IsNaN(s.NewReadMicros));

    public IReadOnlyList<double> Puts => Samples.Select(s => s.PutMicros).ToList();

    public long OldReadsAfterPut => Samples.Sum(s => (long)s.OldReadsAfterPut);

    /// <summary>Writes after which at least one read returned the old value once B's Put had returned.</summary>
    public int WritesWithOldReadAfterPut => Samples.Count(s => s.OldReadsAfterPut > 0);

    public double LastOldRead => Samples.Select(s => s.LastOldReadMicros).Where(v => !double.IsNaN(v))
        .DefaultIfEmpty(double.NaN).Max();

    public long OldReadsAfterDrop => Samples.Sum(s => (long)s.OldReadsAfterDrop);

    public long OldReadsAfterBound => Samples.Sum(s => (long)s.OldReadsAfterBound);

    /// <summary>Nearest-rank percentile (0–100) of <paramref name="values"/>; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
