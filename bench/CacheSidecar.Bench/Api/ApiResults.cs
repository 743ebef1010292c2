namespace CacheSidecar.Bench.Api;

/// <summary>Everything the <c>## Cache-shaped API</c> section reports.</summary>
/// <param name="Rows">In the order of the brief (and of each round).</param>
/// <param name="WriteBehindSkipped">Why the write-behind rows were not run, or null.</param>
internal sealed record ApiResults(IReadOnlyList<ApiRow> Rows, string? WriteBehindSkipped)
{
    public ApiRow? Find(string name) => Rows.FirstOrDefault(r => r.Name == name && r.Measured);

    /// <summary>Every row ran, every run had no error and every write-behind backlog drained.</summary>
    public bool Complete => WriteBehindSkipped is null
        && Rows.All(r => r.Measured && r.Errors == 0 && r.Drains.All(d => d.DrainTime is not null));
}
