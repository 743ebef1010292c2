using System.Text;
using CacheSidecar.Bench.FastPath;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// Part 1b of <c>## Fast path</c>: where the Get hit's p90 and p99 at 1,000 req/s come from, source by
/// source, each measured in the same rounds (never inferred from the Get hit itself).
/// </summary>
internal static class FastPathTailReport
{
    /// <summary>A source that can delay a share of the calls above 1 − p reaches percentile p.</summary>
    private static readonly (double Percentile, double Share)[] Reach = [(90, 0.10), (99, 0.01)];

    public static void Render(StringBuilder md, FastPathResults results)
    {
        var rate = results.Rate;
        if (rate.Find(FastPathScenarios.GetHit) is not { } get)
        {
            return;
        }

        md.AppendLine(Inv($"### 1b. Where the tail at {rate.Rate:N0} req/s comes from"));
        md.AppendLine();
        md.AppendLine(Inv($"Each source measured in the same rounds as the Get-hit row above (median of {results.Rounds}, lowest–highest). Percentiles do not add up, so the last column only says how large each source's own percentile is next to the Get hit's: a source at 90 % of the Get hit's p99 explains most of that tail, one at 10 % little of it. The sidecar's `/metrics` is read before and after each run, never during it (a scrape costs the sidecar CPU on the shared cores and would itself show in the tail)."));
        md.AppendLine();
        md.AppendLine("| source | how it is measured | p90 µs | p99 µs | of the Get hit's p90 / p99 |");
        md.AppendLine("|---|---|---:|---:|---:|");
        var p90 = get.Percentile(90).Median;
        var p99 = get.Percentile(99).Median;
        void Row(string source, string how, Spread at90, Spread at99) =>
            md.AppendLine(Inv($"| {source} | {how} | {Micros(at90)} | {Micros(at99)} | {Percent(at90.Median / p90)} / {Percent(at99.Median / p99)} |"));
        Spread Tail(Func<RateRun, double> value) => Spread.Of(get.Runs, value);

        var parts = new List<(string Source, double P99)>();
        void Part(string source, Spread at99) => parts.Add((source, at99.Median));
        Row("**Get hit, end to end**", "the row above: .NET gRPC client → sidecar → Redis and back, from the intended send", get.Percentile(90), get.Percentile(99));
        if (rate.Find(FastPathScenarios.DirectRedis) is { } direct)
        {
            Row("(e) client + Redis, no sidecar", "direct Redis GET from the same process at the same rate (StackExchange.Redis)", direct.Percentile(90), direct.Percentile(99));
            Part("the direct Redis GET (client + Redis)", direct.Percentile(99));
        }

        if (rate.Find(FastPathScenarios.NoOp) is { } noOp)
        {
            Row("(d) gRPC + HTTP/2 + Kestrel + sidecar pipeline, no Redis", "no-op RPC (`ListNamespaces`) from the same client at the same rate", noOp.Percentile(90), noOp.Percentile(99));
            Part("the no-op RPC (gRPC, HTTP/2, Kestrel, no Redis)", noOp.Percentile(99));
        }

        Row("inside the sidecar's handler (Redis read included)", "the sidecar's own `cachesidecar.rpc.duration` of these Gets (outermost interceptor in → out), interpolated in its buckets", Tail(r => Handler(r, 90)), Tail(r => Handler(r, 99)));
        Part("the sidecar's handler (its Redis read included)", Tail(r => Handler(r, 99)));
        Row("outside the handler: client, HTTP/2, Kestrel, thread-pool dispatch on both ends", "end to end − handler, same run, same percentile", Tail(r => r.Result.PercentileMicroseconds(90) - Handler(r, 90)), Tail(r => r.Result.PercentileMicroseconds(99) - Handler(r, 99)));
        Part("the time outside the sidecar's handler", Tail(r => r.Result.PercentileMicroseconds(99) - Handler(r, 99)));
        Row("(b) load generator: send lateness", "pacer: actual send − intended send of each Get (inside every latency above)", get.Lateness(90), get.Lateness(99));
        Part("the pacer's send lateness", get.Lateness(99));
        Row("(c) load generator: thread-pool scheduling", "probe in the bench process: a work item queued every 2 ms, its wait before running (the calls' continuations wait in the same queue)", Tail(r => r.Tail.BenchScheduling.P90Microseconds), Tail(r => r.Tail.BenchScheduling.P99Microseconds));
        Part("the bench process's thread-pool scheduling", Tail(r => r.Tail.BenchScheduling.P99Microseconds));
        md.AppendLine();
        var ranked = parts.Where(p => !double.IsNaN(p.P99)).OrderByDescending(p => p.P99).ToList();
        if (ranked.Count > 0 && p99 > 0)
        {
            md.AppendLine(Inv($"Reading at p99 (computed from the medians above): the largest measured source is {ranked[0].Source}, at {ReportText.Percent(ranked[0].P99 / p99)} of the Get hit's p99; then {string.Join(", ", ranked.Skip(1).Select(p => Inv($"{p.Source} {ReportText.Percent(p.P99 / p99)}")))}. The sidecar's Redis steps are inside its handler; `cachesidecar.redis.duration` is not used here because it has no RPC label (it also times the write-behind flushers' polls)."));
            md.AppendLine();
        }

        md.AppendLine("Sources without a percentile of their own, read over each Get-hit run (median of the rounds):");
        md.AppendLine();
        md.AppendLine(Inv($"- (a) **sidecar GC**: {Gc(get, r => r.Tail.SidecarGcCount, r => r.Tail.SidecarGcPauseMs)}"));
        md.AppendLine(Inv($"- **load generator's GC** (bench process, `GC.GetTotalPauseDuration`): {Gc(get, r => r.Tail.BenchGcCount, r => r.Tail.BenchGcPauseMs)}"));
        md.AppendLine(Inv($"- (c) **sidecar thread pool** (runtime metrics): {Number(Tail(r => r.Tail.SidecarWorkItemsPerCall ?? double.NaN), "F1")} work items completed per call, {Number(Tail(r => r.Tail.SidecarThreads ?? double.NaN), "F0")} pool threads at the end, {Number(Tail(r => r.Tail.SidecarLockContentions ?? double.NaN), "F0")} lock contentions. The queue-length gauge is a point value that only a scrape during the run could read; the scheduling delay inside the sidecar is part of \"outside the handler\" (before the interceptor runs) and of the no-op row."));
        md.AppendLine();
        md.AppendLine(Inv($"How to read the GC lines: a call meets a pause if it is scheduled during one or is in flight when one starts, so the share of calls a run's pauses can delay is about (pause time + collections × the row's p50) / run length. A source reaches p90 when that share is above 10 %, p99 when it is above 1 %, and then adds at most about one pause (the mean given) at that percentile."));
        md.AppendLine();
    }

    private static double Handler(RateRun run, double percentile) => run.Tail.Handler?.PercentileMicroseconds(percentile) ?? double.NaN;

    /// <summary>Collections, pause time, mean pause, the share of calls the pauses can meet, and which percentiles that reaches.</summary>
    private static string Gc(RateRow get, Func<RateRun, double?> count, Func<RateRun, double?> pauseMs)
    {
        var collections = Spread.Of(get.Runs, r => count(r) ?? double.NaN);
        if (!collections.Measured)
        {
            return "not exported on `/metrics`.";
        }

        var pause = Spread.Of(get.Runs, r => pauseMs(r) ?? double.NaN);
        var mean = Spread.Of(get.Runs, r => count(r) is > 0 and var n ? (pauseMs(r) ?? double.NaN) / n : double.NaN);
        var share = Spread.Of(get.Runs, r => count(r) is { } n && pauseMs(r) is { } p
            ? (p + (n * r.Result.PercentileMicroseconds(50) / 1000)) / r.Tail.Window.TotalMilliseconds
            : double.NaN);
        var reaches = Reach.Where(x => share.Median >= x.Share).Select(x => Inv($"p{x.Percentile:0}")).ToList();
        return Inv($"{Number(collections, "F0")} collections, {Number(pause, "F1")} ms paused in all (mean pause {Number(mean, "F2")} ms) over a {get.Runs[0].Tail.Window.TotalSeconds:F0} s run (warm-up included); calls that can meet a pause ≈ {Range(share, v => Inv($"{v * 100:F2} %"))} → {(reaches.Count == 0 ? "reaches neither p90 nor p99" : Inv($"reaches {string.Join(" and ", reaches)}, adding up to about {Number(mean, "F2")} ms there"))}.");
    }

    private static string Number(Spread spread, string format) => Range(spread, v => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
}
