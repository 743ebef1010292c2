namespace CacheSidecar.Bench.FastPath;

/// <summary>One curve of part 3 over the rounds; a step is there when at least one round reached it.</summary>
internal sealed record SweepSeries(string Name, IReadOnlyList<SweepStep> Steps)
{
    public bool Saturated => Steps.Any(s => !s.KeptUp);
}
