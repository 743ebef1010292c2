using System.Text;
using CacheSidecar.Bench.Api;
using CacheSidecar.Bench.Infrastructure;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Cache-shaped API</c> section (also printed to stdout) of one api run.</summary>
internal static class ApiReport
{
    public const string Heading = "## Cache-shaped API";

    /// <summary>An Increment must reach this fraction of Get-hit ops/s, on every strategy.</summary>
    public const double IncrementToGetTarget = 0.70;

    private static readonly double[] Percentiles = [50, 90, 99];

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd, ApiResults results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        RenderContext(md, options, machine, redisVersion, loadAverageAtEnd, "api",
            "the write-through rows write to it on every call, and the flushers write the write-behind rows' values to it.");
        RenderMethod(md, options);
        RenderTable(md, results);
        RenderRatios(md, results);
        RenderWriteBehind(md, results);
        RenderProblems(md, results);
        return md.ToString();
    }

    private static void RenderMethod(StringBuilder md, BenchOptions options)
    {
        md.AppendLine(Inv($"{options.Concurrency} concurrent callers, each sending its next call when the previous one returns, over one shared `GrpcChannel` (one HTTP/2 connection) to one sidecar process. After one unrecorded pass over every row ({BenchOptions.WarmUp.TotalSeconds:0} s each: both processes are fresh), each row ran {BenchOptions.ApiRepetitions} times, in rounds (every row once per round, in table order), each run {BenchOptions.WarmUp.TotalSeconds:0} s of warm-up and {options.DurationSeconds} s measured. **Every figure is the median of that column over the {BenchOptions.ApiRepetitions} runs**, with the lowest and highest ops/s beside it; errors are summed over the runs. Latency seen by the caller, in µs (HdrHistogram). After each run of a write-behind row the bench waits until that namespace's backlog is 0 (flushers done), so no run shares the cores with an earlier run's flushing."));
        md.AppendLine();
        md.AppendLine(Inv($"- Namespaces (entry TTL 1 h everywhere): `{BenchNamespaces.GetHit}` and `{BenchNamespaces.TaggedGetHit}` CacheAside; `{BenchNamespaces.ApiPutWriteThrough}` and `{BenchNamespaces.IncrementWriteThrough}` WriteThrough; `{BenchNamespaces.IncrementPureCache}` Ttl without a collection (pure cache); `{BenchNamespaces.IncrementWriteBehind}` and `{BenchNamespaces.BatchPutWriteBehind}` WriteBehind (BatchSize 500, FlushInterval 50 ms, flushers running in the same sidecar)."));
        md.AppendLine(Inv($"- Get rows: {ApiScenarios.GetKeys:N0} keys each, written and read once beforehand; every answer must be `found` with `source = CACHE`. The tagged row's entries were each Put with {ApiScenarios.TagsPerEntry} tags (`bench-all` and one of ten `bench-group-<n>`), so every read also checks those tags' generations in Redis."));
        md.AppendLine(Inv($"- Put: the 1 KB JSON value over {ApiScenarios.PutKeys:N0} keys, must be `persisted`. Increment: delta 1 over {ApiScenarios.CounterKeys:N0} counters, value must be > 0 and `persisted` (`queued` in write-behind). BatchPut: the 1 KB value over {ApiScenarios.PutKeys:N0} keys in consecutive slices; a call counts as OK only if every item's code is 0 and it is `queued`; items/s = calls/s × items per call."));
        md.AppendLine();
    }

    private static void RenderTable(StringBuilder md, ApiResults results)
    {
        md.AppendLine(Inv($"| scenario | ops/s (min–max of {BenchOptions.ApiRepetitions}) | items/s | p50 µs | p90 µs | p99 µs | errors |"));
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.Rows)
        {
            if (!row.Measured)
            {
                md.AppendLine(Inv($"| {row.Name} | not run: {row.NotRun} | | | | | |"));
                continue;
            }

            var items = row.ItemsPerCall > 1 ? Inv($"{row.ItemsPerSecond:N0}") : "";
            var percentiles = string.Join(" | ", Percentiles.Select(p => Micros(row.PercentileMicroseconds(p))));
            md.AppendLine(Inv($"| {row.Name} | {row.OpsPerSecond:N0} ({row.MinOpsPerSecond:N0}–{row.MaxOpsPerSecond:N0}) | {items} | {percentiles} | {row.Errors:N0} |"));
        }

        md.AppendLine();
    }

    private static void RenderRatios(StringBuilder md, ApiResults results)
    {
        md.AppendLine("Ratios (of the median ops/s):");
        md.AppendLine();
        var get = results.Find(ApiScenarios.GetHit);
        foreach (var name in new[] { ApiScenarios.IncrementPureCache, ApiScenarios.IncrementWriteBehind, ApiScenarios.IncrementWriteThrough })
        {
            var increment = results.Find(name);
            md.AppendLine(increment is not null && get is not null
                ? Inv($"- {name} / Get hit = {increment.OpsPerSecond:N0} / {get.OpsPerSecond:N0} = **{Percent(increment.OpsPerSecond / get.OpsPerSecond)}** (target Increment ≥ {Percent(IncrementToGetTarget)} of Get hit: {Met(increment.OpsPerSecond / get.OpsPerSecond >= IncrementToGetTarget)})")
                : Inv($"- {name} / Get hit: not measured (target Increment ≥ {Percent(IncrementToGetTarget)} of Get hit: –)"));
        }

        var tagged = results.Find(ApiScenarios.TaggedGetHit);
        md.AppendLine(tagged is not null && get is not null
            ? Inv($"- Tagged Get hit / Get hit = {tagged.OpsPerSecond:N0} / {get.OpsPerSecond:N0} = **{Percent(tagged.OpsPerSecond / get.OpsPerSecond)}**; p50 {Micros(tagged.PercentileMicroseconds(50))} vs {Micros(get.PercentileMicroseconds(50))} µs. Redis commands per call (`total_commands_processed`, warm-up included): {PerCall(tagged.RedisCommandsPerCall)} tagged vs {PerCall(get.RedisCommandsPerCall)} untagged; the difference is the reads of the {ApiScenarios.TagsPerEntry} tags' generations, which the sidecar sends in one extra pipelined round trip.")
            : "- Tagged Get hit / Get hit: not measured.");

        var put = results.Find(ApiScenarios.PutWriteThrough);
        foreach (var name in new[] { ApiScenarios.BatchPut10, ApiScenarios.BatchPut100 })
        {
            var batch = results.Find(name);
            md.AppendLine(batch is not null && put is not null
                ? Inv($"- {name}: items/s / single Put ops/s = {batch.ItemsPerSecond:N0} / {put.OpsPerSecond:N0} = **{batch.ItemsPerSecond / put.OpsPerSecond:F1}×**")
                : Inv($"- {name}: items/s / single Put ops/s: not measured."));
        }

        md.AppendLine();
        md.AppendLine("The single Put is the write-through row and the BatchPut rows write a write-behind namespace, so the BatchPut ratios combine the gain of batching (one call, pipelined Redis work) with that of acknowledging before the store write. \"met\" compares the median with the target as written; on this shared 2-core machine the sidecar, redis-server and the bench process (load generator and MongoDB test server) compete for the same cores, so read the ratios rather than the absolute rates.");
        md.AppendLine();
    }

    private static void RenderWriteBehind(StringBuilder md, ApiResults results)
    {
        var rows = results.Rows.Where(r => r.Drains.Count > 0).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("Write-behind backlog right after each run (entries in the partition streams) and the time the flushers then took to empty it:");
        md.AppendLine();
        foreach (var row in rows)
        {
            var drains = string.Join("; ", row.Drains.Select(d => d.DrainTime is { } t
                ? Inv($"{d.BacklogAfter:N0} in {t.TotalSeconds:F1} s")
                : Inv($"{d.BacklogAfter:N0}, **not drained** within the limit")));
            md.AppendLine(Inv($"- {row.Name}: {drains}."));
        }

        md.AppendLine();
    }

    private static void RenderProblems(StringBuilder md, ApiResults results)
    {
        var problems = results.Rows.Where(r => r.FirstProblem is not null).ToList();
        if (problems.Count == 0 && results.Complete)
        {
            return;
        }

        md.AppendLine("**Incomplete run** (exit code 3). First error of each row (`errors` counts failed calls plus unexpected answers, e.g. a Get that was not a cache hit):");
        md.AppendLine();
        foreach (var row in problems)
        {
            md.AppendLine(Inv($"- {row.FirstProblem}"));
        }

        if (results.WriteBehindSkipped is { } skipped)
        {
            md.AppendLine(Inv($"- Write-behind rows not run: {skipped}."));
        }

        md.AppendLine();
    }
}
