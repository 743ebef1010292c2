namespace CacheSidecar.Bench.FastPath;

/// <summary>Everything one fastpath run measured.</summary>
/// <param name="Rounds">Rounds run: every row's number of runs.</param>
internal sealed record FastPathResults(
    FastPathConfiguration Configuration,
    int Rounds,
    RateResults Rate,
    SaturationResults Saturation,
    NeutralDriverResults Drivers,
    IReadOnlyList<SweepSeries> Sweep,
    string? PlotFile,
    string? PlotProblem,
    IReadOnlyList<StartResult> Starts,
    RssStats? RssPeak,
    string RedisVersion,
    (int NoOp, int GetHit) ReplyBytes);
