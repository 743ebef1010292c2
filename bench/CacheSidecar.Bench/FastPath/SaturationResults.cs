namespace CacheSidecar.Bench.FastPath;

/// <summary>Part 2: the closed-loop table over the rounds.</summary>
/// <param name="Rows">In table order.</param>
/// <param name="GetHitAllocation">The sidecar's allocation around the Get-hit row, one per round.</param>
/// <param name="BacklogAfterWriteBehindPut">The write-behind backlog right after the Put row, one per round.</param>
internal sealed record SaturationResults(
    IReadOnlyList<SaturationRow> Rows,
    IReadOnlyList<ServerAllocation> GetHitAllocation,
    IReadOnlyList<long> BacklogAfterWriteBehindPut)
{
    public SaturationRow? Find(string name) => Rows.FirstOrDefault(r => r.Name == name && r.Runs.Count > 0);
}
