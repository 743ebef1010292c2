namespace CacheSidecar.Bench.Uds;

/// <summary>Everything the <c>## Unix domain socket vs TCP</c> section reports.</summary>
/// <param name="Rows">Saturation rows first, then the fixed-rate rows; TCP before UDS for each call.</param>
/// <param name="Rounds">The rounds run (the number of runs per row).</param>
internal sealed record UdsResults(IReadOnlyList<UdsRow> Rows, int Rounds)
{
    public IEnumerable<UdsRow> Saturation => Rows.Where(r => !r.Scenario.FixedRate);

    public IEnumerable<UdsRow> FixedRate => Rows.Where(r => r.Scenario.FixedRate);

    public UdsRow? Find(string call, UdsTransport transport, bool fixedRate) =>
        Rows.FirstOrDefault(r => r.Scenario.Call == call && r.Scenario.Transport == transport && r.Scenario.FixedRate == fixedRate && r.Runs.Count > 0);

    /// <summary>What makes the run incomplete: errors and fixed-rate rows that did not keep up.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var row in Rows)
        {
            if (row.Errors > 0)
            {
                yield return $"{row.Scenario.Name}: {row.Errors:N0} errors; first: {row.FirstProblem}";
            }

            if (!row.KeptUp)
            {
                yield return $"{row.Scenario.Name}: did not keep up with {UdsBenchmark.Rate:N0} req/s in every run";
            }
        }
    }

    public bool Complete => !Problems().Any();
}
