using System.Text;
using CacheSidecar.Bench.FastPath;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Part 1 of <c>## Fast path</c>: latency at 1,000 req/s (Dapr's method), the added latency, and the memory at that rate.</summary>
internal static class FastPathRateReport
{
    private static readonly double[] Percentiles = [50, 90, 99, 99.9];

    public static void Render(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var rate = results.Rate;
        md.AppendLine(Inv($"### 1. Latency at {rate.Rate:N0} req/s (open loop, Dapr's method)"));
        md.AppendLine();
        md.AppendLine(Inv($"Calls are scheduled at exactly {rate.Rate:N0} per second (call i due at start + i ms) and sent when due, whether or not earlier calls have returned; each latency is measured from the call's **intended** send time, so a stall is charged to every call scheduled during it (no coordinated omission). {RateRounds.WarmUp.TotalSeconds:0} s warm-up, then {options.RateDurationSeconds} s measured per run, from the same client process (direct Redis: one `ConnectionMultiplexer`; sidecar: one `GrpcChannel`); in each round the rows ran back to back, the first row moving by one each round. Latency in µs (HdrHistogram), median of {results.Rounds} runs (lowest–highest). \"send lateness\" is how late the pacer thread actually sent (part of every latency): the load generator's own timing noise."));
        md.AppendLine();
        md.AppendLine("| scenario | achieved/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | send lateness p99 µs |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rate.Rows.Where(r => r.Measured))
        {
            var percentiles = string.Join(" | ", Percentiles.Select(p => Micros(row.Percentile(p))));
            md.AppendLine(Inv($"| {row.Name} | {row.Achieved.Median:N0}{(row.KeptUp ? "" : " ✗")} | {percentiles} | {Micros(row.Max)} | {row.Errors:N0} | {Micros(row.Lateness(99))} |"));
        }

        if (rate.Find(FastPathScenarios.NearCacheGet) is null)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.NearCacheGet} | not measured: {results.Configuration.NearCacheSkipped} | | | | | | | |"));
        }

        md.AppendLine();
        RenderAdded(md, results);
        RenderMemory(md, results);
    }

    private static void RenderAdded(StringBuilder md, FastPathResults results)
    {
        var rate = results.Rate;
        if (rate.Find(FastPathScenarios.DirectRedis) is not { } direct)
        {
            return;
        }

        md.AppendLine("Added latency: a row minus the direct Redis GET of the same round at the same percentile, then the median of the rounds (lowest–highest):");
        md.AppendLine();
        md.AppendLine("| | p50 | p90 | p99 |");
        md.AppendLine("|---|---:|---:|---:|");
        if (rate.Find(FastPathScenarios.GetHit) is { } get)
        {
            var p90 = get.AddedOver(direct, 90);
            var p99 = get.AddedOver(direct, 99);
            md.AppendLine(Inv($"| Get hit − direct Redis GET | {AddedMs(get.AddedOver(direct, 50))} | {AddedMs(p90)} (target ≤ {FastPathTargetsReport.AddedP90TargetMs} ms: {MetOrNot(p90.Median, p90.Median / 1000 <= FastPathTargetsReport.AddedP90TargetMs)}) | {AddedMs(p99)} (target ≤ {FastPathTargetsReport.AddedP99TargetMs} ms: {MetOrNot(p99.Median, p99.Median / 1000 <= FastPathTargetsReport.AddedP99TargetMs)}) |"));
        }

        foreach (var name in new[] { FastPathScenarios.NearCacheGet, FastPathScenarios.NoOp })
        {
            if (rate.Find(name) is { } row)
            {
                md.AppendLine(Inv($"| {row.Name} − direct Redis GET | {AddedMs(row.AddedOver(direct, 50))} | {AddedMs(row.AddedOver(direct, 90))} | {AddedMs(row.AddedOver(direct, 99))} |"));
            }
        }

        md.AppendLine("| Dapr's published state-API overhead, for reference | – | +0.75 ms | +1.52 ms |");
        md.AppendLine();
        md.AppendLine("The added latency includes everything a sidecar adds between the application and Redis: the .NET gRPC client, HTTP/2 over loopback, the sidecar's pipeline and its Redis reads (see the Redis cmds/call column of part 2), against a plain `GET` from StackExchange.Redis in the same process. A negative difference means that at this percentile the machine (scheduling on the shared cores, GC, the pacer's lateness) set both rows' latency rather than either path; the range shows how much it moves from round to round. Where the tail comes from is measured in part 1b.");
        if (rate.NearCacheShare is { } share)
        {
            md.AppendLine(Inv($"The sidecar counted {Percent(share)} of the L1 row's reads as served by its near-cache (`{FastPathMetrics.Reads}`, median of the rounds)."));
        }

        md.AppendLine();
    }

    private static void RenderMemory(StringBuilder md, FastPathResults results)
    {
        var rate = results.Rate;
        md.AppendLine("**Memory** (sidecar `VmRSS` from `/proc/<pid>/status`, sampled every 100 ms; the target is read against `VmRSS`, the whole resident set). `VmRSS` = `RssAnon` (GC heap, native heap, stacks) + `RssFile` (mapped files: the runtime and the loaded assemblies, shared with other .NET processes and reclaimable) + `RssShmem` (for .NET: the JIT-compiled code, which the W^X protection maps through a memfd):");
        md.AppendLine();
        md.AppendLine(Inv($"- idle after start (connections open, keys prefilled, no traffic): {Rss(rate.RssIdle)}"));
        var steady = rate.RssSteady;
        if (steady.Count > 0)
        {
            var max = Spread.Of(steady, s => s.MaxBytes / Mb);
            var median = Spread.Of(steady, s => s.MedianBytes / Mb);
            var anonymous = Spread.Of(steady, s => s.Median.Anonymous / Mb);
            var file = Spread.Of(steady, s => s.Median.File / Mb);
            var shared = Spread.Of(steady, s => s.Median.Shared / Mb);
            md.AppendLine(Inv($"- steady at {rate.Rate:N0} req/s (second half of each Get-hit run; median of the rounds): highest sample {Range(max, Megabytes)} MB, median sample {Range(median, Megabytes)} MB = {Megabytes(anonymous.Median)} anon + {Megabytes(file.Median)} file + {Megabytes(shared.Median)} shmem — target ≤ {FastPathTargetsReport.RssTargetMb:0} MB: {MetOrNot(max.Median, max.Median <= FastPathTargetsReport.RssTargetMb)}"));
        }
        else
        {
            md.AppendLine(Inv($"- steady at {rate.Rate:N0} req/s: not sampled"));
        }

        md.AppendLine(Inv($"- highest over the whole run (saturation and sweep included, before the start-to-ready part): {(results.RssPeak is { } peak ? Inv($"{peak.MaxBytes / Mb:F1} MB") : "not sampled")}"));
        md.AppendLine();
    }

    private static string Megabytes(double value) => Inv($"{value:F1}");

    private static string Rss(RssStats? stats) => stats is null
        ? "not sampled"
        : Inv($"median {stats.MedianBytes / Mb:F1} MB, max {stats.MaxBytes / Mb:F1} MB ({stats.Samples} samples; the median sample = {stats.Median.Anonymous / Mb:F1} anon + {stats.Median.File / Mb:F1} file + {stats.Median.Shared / Mb:F1} shmem)");
}
