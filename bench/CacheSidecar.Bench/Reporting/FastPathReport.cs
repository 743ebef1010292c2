using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Infrastructure;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// Renders the <c>## Fast path</c> section (also printed to stdout) from one fastpath run: the context,
/// then one part per renderer (§9 table, 1,000 req/s and its tail, saturation, sweep, C load generators,
/// start-to-ready).
/// </summary>
internal static class FastPathReport
{
    public const string Heading = "## Fast path";

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string loadAverageAtEnd, FastPathResults results)
    {
        var md = new StringBuilder();
        RenderContext(md, options, machine, results.RedisVersion, loadAverageAtEnd, "fastpath",
            "it only serves the Put rows of strategies that write the store; the read path does not touch it (keys are prefilled).");
        RenderConfiguration(md, options, results);
        FastPathTargetsReport.Render(md, results);
        FastPathRateReport.Render(md, options, results);
        FastPathTailReport.Render(md, results);
        FastPathSaturationReport.Render(md, options, results);
        FastPathSweepReport.Render(md, options, results);
        FastPathDriversReport.Render(md, options, results);
        RenderStarts(md, results.Starts);
        md.AppendLine("Allocations per call measured in-process with BenchmarkDotNet are in the `## Allocations` section (`alloc` command).");
        md.AppendLine();
        return md.ToString();
    }

    /// <summary>What was not measured or had errors; empty for a complete run (exit code 0).</summary>
    public static IEnumerable<string> Incomplete(FastPathResults results)
    {
        if (results.Configuration.NearCacheSkipped is { } l1 && results.Configuration.NearCacheSkipped != "switched off (`--l1 off`)")
        {
            yield return $"L1 near-cache rows not measured: {l1}";
        }

        if (results.Configuration.WriteBehindSkipped is { } wb)
        {
            yield return $"write-behind Put not measured: {wb}";
        }

        if (results.Drivers.H2LoadMissing is { } h2)
        {
            yield return $"h2load rows not measured: {h2}";
        }
        else if (!results.Drivers.H2LoadGet.Concat(results.Drivers.H2LoadNoOp).All(FastPathDriversReport.H2LoadVerified))
        {
            yield return "h2load's requests were not all successful on the server side (see the report)";
        }

        if (results.Drivers.RedisBenchmarkMissing is { } rb)
        {
            yield return $"redis-benchmark rows not measured: {rb}";
        }
        else if (!results.Drivers.RedisBenchmark.All(r => r.Verified))
        {
            yield return "redis-benchmark's GETs were not all hits on Redis' side (see the report)";
        }

        if (results.PlotProblem is { } plot)
        {
            yield return $"plot not written: {plot}";
        }

        if (results.Saturation.GetHitAllocation.Count == 0)
        {
            yield return $"{FastPathMetrics.AllocatedBytes} not found on the sidecar's /metrics";
        }

        foreach (var row in results.Saturation.Rows.Where(r => r.Errors > 0))
        {
            yield return $"{row.Name}: {row.Errors:N0} errors";
        }

        foreach (var row in results.Rate.Rows.Where(r => r.Errors > 0))
        {
            yield return $"{row.Name} at {results.Rate.Rate:N0} req/s: {row.Errors:N0} errors";
        }

        foreach (var step in results.Sweep.SelectMany(s => s.Steps).SelectMany(s => s.Runs).Where(s => s.Errors > s.NotSent))
        {
            yield return $"sweep {step.Name} at {step.OfferedRate:N0} req/s: {step.Errors - step.NotSent:N0} errors";
        }

        foreach (var start in results.Starts.Where(s => s.Problem is not null || !s.FirstGetFound))
        {
            yield return $"start-to-ready: {start.Problem ?? "the first Get did not find the key"}";
        }
    }

    private static void RenderConfiguration(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var configuration = results.Configuration;
        md.AppendLine(Inv($"- Sidecar namespaces added by the bench (on top of the sidecar's own appsettings.json ones): `{BenchNamespaces.GetHit}` CacheAside (Get, BatchGet); `{BenchNamespaces.NearCacheGet}` CacheAside with the L1 near-cache ({(configuration.NearCache ? BenchNamespaces.NearCacheSettings : "not configured: " + configuration.NearCacheSkipped)}); `{BenchNamespaces.PutCacheAside}` CacheAside, `{BenchNamespaces.PutWriteThrough}` WriteThrough, `{BenchNamespaces.PutTtl}` Ttl with a collection, `{BenchNamespaces.PutPureCache}` Ttl without a collection (pure cache), `{BenchNamespaces.PutWriteBehind}` WriteBehind (BatchSize 500, FlushInterval 50 ms; {(configuration.WriteBehind ? "flushers running in the same sidecar" : "not configured: " + configuration.WriteBehindSkipped)}). Entry TTL 1 h everywhere (longer than a whole run, so no entry expires during one)."));
        md.AppendLine("- Every value is the same 1 KB JSON object; Get keys are written and read once beforehand so every measured Get is a hit.");
        md.AppendLine(Inv($"- **Rounds**: after one unrecorded pass over every row (both processes are fresh), every row of parts 1–4 ran {results.Rounds} times, in rounds (each round: the {results.Rate.Rate:N0} req/s rows, the closed-loop rows, the C load generators, the sweep). **Every latency, rate and ratio below is the median of the {results.Rounds} runs, with the lowest and highest run in parentheses**; a ratio is taken within each round (its rows ran minutes apart at most) and then summarised. Errors are summed over the runs. \"met\" is read from the median."));
        md.AppendLine();
    }

    private static void RenderStarts(StringBuilder md, IReadOnlyList<StartResult> starts)
    {
        md.AppendLine("### 5. Start-to-ready");
        md.AppendLine();
        md.AppendLine(Inv($"{starts.Count} fresh sidecar processes, one at a time, same configuration as above (the measured sidecar stopped first). Each is timed from just before `Process.Start` (`dotnet CacheSidecar.dll`) to the first 200 from `/readyz` (polled every 10 ms; readiness runs the Redis and store checks) and to the first successful gRPC `Get` of a key already in Redis (also polled every 10 ms). The §9 row reads the median of the starts."));
        md.AppendLine();
        md.AppendLine("| start | `/readyz` 200 s | first Get s | first Get found |");
        md.AppendLine("|---:|---:|---:|---|");
        for (var i = 0; i < starts.Count; i++)
        {
            var start = starts[i];
            md.AppendLine(start.Problem is null
                ? Inv($"| {i + 1} | {Seconds(start.Ready)} | {Seconds(start.FirstGet)} | {(start.FirstGetFound ? "yes" : "**no**")} |")
                : Inv($"| {i + 1} | failed: {start.Problem} | | |"));
        }

        md.AppendLine();
    }
}
