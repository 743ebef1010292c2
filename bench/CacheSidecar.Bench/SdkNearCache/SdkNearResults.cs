using CacheSidecar.Bench.FastPath;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>Everything one <c>sdknear</c> run measured.</summary>
/// <param name="Reads">Part 1: every row at every concurrency.</param>
/// <param name="Quiet">Part 2 without other load.</param>
/// <param name="Hot">Part 2 with a caller reading the key back to back.</param>
/// <param name="Clears">Whole near-cache clears per stage, the SDK's and sidecar A's.</param>
/// <param name="KeysEvents">Keys the SDK dropped on KEYS events during part 2.</param>
internal sealed record SdkNearResults(
    IReadOnlyList<ReadRow> Reads,
    InvalidationPhase Quiet,
    InvalidationPhase Hot,
    ClearCounts Clears,
    long KeysEvents)
{
    /// <summary>DESIGN §9: near-cache hot-key reads at least this many times a direct Redis GET's ops/s.</summary>
    public const double NearToRedisTarget = 10;

    public IEnumerable<int> Concurrencies => Reads.Select(r => r.Concurrency).Distinct();

    public ReadRow? Find(string name, int concurrency) =>
        Reads.FirstOrDefault(r => r.Name == name && r.Concurrency == concurrency);

    /// <summary>ops/s of <paramref name="a"/> over <paramref name="b"/>, taken within each round.</summary>
    public Spread Ratio(string a, string b, int concurrency)
    {
        var rounds = Enumerable.Range(1, SdkNearOptions.Rounds).ToList();
        var (rowA, rowB) = (Find(a, concurrency), Find(b, concurrency));
        return Spread.OfRatios(
            rounds.Select(r => rowA?.InRound(r) ?? double.NaN).ToList(),
            rounds.Select(r => rowB?.InRound(r) ?? double.NaN).ToList());
    }

    /// <summary>What keeps this run from being a complete, clean measurement (none: exit code 0).</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var row in Reads.Where(r => r.Errors > 0))
        {
            yield return $"{row.Name} at {row.Concurrency} caller(s): {row.Errors:N0} errors; "
                + $"first: {row.FirstProblem}";
        }

        foreach (var phase in new[] { Quiet, Hot })
        {
            if (phase.Missing > 0)
            {
                yield return $"{phase.Name}: {phase.Missing} writes whose KEYS event never reached the SDK";
            }

            if (phase.OldReadsAfterBound > 0 || phase.OldReadsAfterDrop > 0)
            {
                yield return $"{phase.Name}: {phase.OldReadsAfterBound} reads of the old value after the bound, "
                    + $"{phase.OldReadsAfterDrop} after the drop";
            }
        }

        if (Clears.Unexplained)
        {
            yield return $"the near cache was cleared during the measurements (part 1: "
                + $"{ClearCounts.Describe(Clears.DuringReads)}; part 2: "
                + $"{ClearCounts.Describe(Clears.DuringInvalidations)}"
                + $", sidecar A's own: {ClearCounts.Describe(Clears.SidecarDuringInvalidations)})";
        }
    }
}
