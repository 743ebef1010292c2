using System.Text;
using CacheSidecar.Bench.FastPath;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>The table at the top of <c>## Fast path</c>: each DESIGN §9 target, the median measured against it, met or not.</summary>
internal static class FastPathTargetsReport
{
    // DESIGN §9 (revised).
    public const double AddedP90TargetMs = 0.15;
    public const double AddedP99TargetMs = 0.3;
    public const double GetToSerialLimitTarget = 0.90;
    public const double NearCacheToRedisTarget = 1.2;
    public const double PutToGetTarget = 0.70;
    public const double IncrementToGetTarget = 0.70;
    public const double RssTargetMb = 48;
    public const double ReadyTargetSeconds = 0.5;

    public static void Render(StringBuilder md, FastPathResults results)
    {
        md.AppendLine("### Against DESIGN §9");
        md.AppendLine();
        md.AppendLine(Inv($"Median of {results.Rounds} rounds, lowest and highest run in parentheses."));
        md.AppendLine();
        md.AppendLine("| target (DESIGN §9) | measured | |");
        md.AppendLine("|---|---|---|");

        var rate = results.Rate;
        if (rate.Find(FastPathScenarios.GetHit) is { } get && rate.Find(FastPathScenarios.DirectRedis) is { } direct)
        {
            var added90 = get.AddedOver(direct, 90);
            var added99 = get.AddedOver(direct, 99);
            md.AppendLine(Inv($"| added latency of a Get hit over a direct Redis GET from the same client at {rate.Rate:N0} req/s (TCP), p90 ≤ {AddedP90TargetMs} ms | {AddedMs(added90)} | {MetOrNot(added90.Median, added90.Median / 1000 <= AddedP90TargetMs)} |"));
            md.AppendLine(Inv($"| same, p99 ≤ {AddedP99TargetMs} ms | {AddedMs(added99)} | {MetOrNot(added99.Median, added99.Median / 1000 <= AddedP99TargetMs)} |"));
        }
        else
        {
            md.AppendLine(Inv($"| added latency at {rate.Rate:N0} req/s, p90 ≤ {AddedP90TargetMs} ms, p99 ≤ {AddedP99TargetMs} ms | not measured | – |"));
        }

        var neutral = SerialLimit.Neutral(results.Drivers);
        md.AppendLine(neutral.Measured
            ? Inv($"| Get hit ≥ {Percent(GetToSerialLimitTarget)} of the serial limit, neutral drivers (h2load for gRPC, redis-benchmark for Redis; part 4) | {FastPathText.Percent(neutral.GetShare)} (Get {Rate(neutral.Get)} / limit {Rate(neutral.Limit)} req/s) | {MetOrNot(neutral.GetShare.Median, neutral.GetShare.Median >= GetToSerialLimitTarget)} |")
            : Inv($"| Get hit ≥ {Percent(GetToSerialLimitTarget)} of the serial limit, neutral drivers | not measured: {results.Drivers.H2LoadMissing ?? results.Drivers.RedisBenchmarkMissing ?? "no complete round"} | – |"));
        var dotNet = SerialLimit.DotNet(results.Saturation, results.Rounds);
        md.AppendLine(dotNet.Measured
            ? Inv($"| same, .NET client on both sides (gRPC client, StackExchange.Redis; part 2) | {FastPathText.Percent(dotNet.GetShare)} (Get {Rate(dotNet.Get)} / limit {Rate(dotNet.Limit)} ops/s) | {MetOrNot(dotNet.GetShare.Median, dotNet.GetShare.Median >= GetToSerialLimitTarget)} |")
            : Inv($"| same, .NET client on both sides | not measured | – |"));

        var saturation = results.Saturation;
        var l1 = PerRound(saturation, FastPathScenarios.NearCacheGet, FastPathScenarios.DirectRedis, results.Rounds);
        md.AppendLine(l1.Measured
            ? Inv($"| near-cache (L1) Get ≥ {NearCacheToRedisTarget:0.0}× direct Redis GET (.NET client, closed loop) | {Range(l1, v => Inv($"{v:F2}×"))} | {MetOrNot(l1.Median, l1.Median >= NearCacheToRedisTarget)} |")
            : Inv($"| near-cache (L1) Get ≥ {NearCacheToRedisTarget:0.0}× direct Redis GET | not measured: {results.Configuration.NearCacheSkipped} | – |"));
        var put = PerRound(saturation, FastPathScenarios.PutWriteBehind, FastPathScenarios.GetHit, results.Rounds);
        md.AppendLine(put.Measured
            ? Inv($"| write-behind Put ≥ {Percent(PutToGetTarget)} of Get hit | {FastPathText.Percent(put)} | {MetOrNot(put.Median, put.Median >= PutToGetTarget)} |")
            : Inv($"| write-behind Put ≥ {Percent(PutToGetTarget)} of Get hit | not measured: {results.Configuration.WriteBehindSkipped} | – |"));
        md.AppendLine(Inv($"| Increment ≥ {Percent(IncrementToGetTarget)} of Get hit | not run by `fastpath`: the `api` command measures it per strategy (`## Cache-shaped API`) | – |"));

        var rss = Spread.Of(rate.RssSteady, s => s.MaxBytes / Mb);
        md.AppendLine(rss.Measured
            ? Inv($"| sidecar RSS ≤ {RssTargetMb:0} MB steady at {rate.Rate:N0} req/s (the highest sample of each Get-hit run's second half) | {Range(rss, v => Inv($"{v:F1}"))} MB | {MetOrNot(rss.Median, rss.Median <= RssTargetMb)} |")
            : Inv($"| sidecar RSS ≤ {RssTargetMb:0} MB steady at {rate.Rate:N0} req/s | not sampled | – |"));

        var ready = Spread.Of(results.Starts, s => s.Ready?.TotalSeconds ?? double.NaN);
        var firstGet = Spread.Of(results.Starts, s => s.FirstGet?.TotalSeconds ?? double.NaN);
        md.AppendLine(ready.Measured && firstGet.Measured
            ? Inv($"| ready ≤ {ReadyTargetSeconds} s after start | `/readyz` 200: {Range(ready, v => Inv($"{v:F2}"))} s; first Get: {Range(firstGet, v => Inv($"{v:F2}"))} s (median of {results.Starts.Count} start{(results.Starts.Count == 1 ? "" : "s")}, fastest–slowest) | {Met(Math.Max(ready.Median, firstGet.Median) <= ReadyTargetSeconds)} (the later of the two medians) |")
            : Inv($"| ready ≤ {ReadyTargetSeconds} s after start | not measured | – |"));
        md.AppendLine("| image size reported | measured by the `footprint` command (`## Footprint, lever by lever`), which builds the images' contents | – |");
        md.AppendLine();
        md.AppendLine("On this shared 2-core machine the load generator, the sidecar and redis-server compete for the same cores, so read the ratios rather than the absolute rates; the neutral-driver row is the one §9 asks for, the .NET-client row shows what a .NET application sees.");
        md.AppendLine();
    }

    /// <summary>Row a's ops/s over row b's, round by round.</summary>
    public static Spread PerRound(SaturationResults saturation, string a, string b, int rounds)
    {
        if (saturation.Find(a) is not { } rowA || saturation.Find(b) is not { } rowB)
        {
            return Spread.Of([]);
        }

        var rangeOfRounds = Enumerable.Range(1, rounds).ToList();
        return Spread.OfRatios(rangeOfRounds.Select(rowA.InRound).ToList(), rangeOfRounds.Select(rowB.InRound).ToList());
    }
}
