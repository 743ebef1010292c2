using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Fast path</c> section (also printed to stdout) from one fastpath run.</summary>
internal static class FastPathReport
{
    public const string Heading = "## Fast path";

    // DESIGN §9.
    public const double AddedP90TargetMs = 0.25;
    public const double AddedP99TargetMs = 0.5;
    public const double GetToFloorTarget = 0.70;
    public const double NearCacheToRedisTarget = 1.00;
    public const double PutToGetTarget = 0.70;
    public const double RssTargetMb = 80;
    public const double ReadyTargetSeconds = 1.0;

    private const double Mb = 1024.0 * 1024.0;
    private static readonly double[] Percentiles = [50, 90, 99, 99.9];

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string loadAverageAtEnd, FastPathResults results)
    {
        var md = new StringBuilder();
        RenderContext(md, options, machine, results.RedisVersion, loadAverageAtEnd, "fastpath",
            "it only serves the Put rows of strategies that write the store; the read path does not touch it (keys are prefilled).");
        RenderConfiguration(md, results.Configuration);
        RenderSummary(md, results);
        RenderRate(md, options, results);
        RenderSaturation(md, options, results);
        RenderSweep(md, options, results);
        RenderH2Load(md, options, results);
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

        if (results.H2Load.NotMeasured is { } h2)
        {
            yield return $"h2load cross-check not measured: {h2}";
        }
        else if (!H2LoadVerified(results.H2Load))
        {
            yield return "h2load's requests were not all successful cache hits on the server side (see the report)";
        }

        if (results.H2LoadNoOp is { } noop && (noop.NotMeasured is not null || !H2LoadVerified(noop)))
        {
            yield return $"h2load on the no-op RPC: {noop.NotMeasured ?? "not all requests were OK on the server side"}";
        }

        if (results.PlotProblem is { } plot)
        {
            yield return $"plot not written: {plot}";
        }

        if (results.Saturation.GetHitAllocation is null)
        {
            yield return $"{FastPathMetrics.AllocatedBytes} not found on the sidecar's /metrics";
        }

        foreach (var row in results.Saturation.Rows.Where(r => r.Scenario.Load.Errors + r.Scenario.Load.Unexpected > 0))
        {
            yield return $"{row.Name}: {row.Scenario.Load.Errors + row.Scenario.Load.Unexpected:N0} errors";
        }

        foreach (var run in new[] { results.Rate.Direct, results.Rate.Sidecar, results.Rate.NearCache }.OfType<OpenLoopResult>().Where(r => r.Errors > 0))
        {
            yield return $"{run.Name} at {run.OfferedRate:N0} req/s: {run.Errors:N0} errors";
        }

        foreach (var step in results.Sweep.SelectMany(s => s.Steps).Where(s => s.Errors > s.NotSent))
        {
            yield return $"sweep {step.Name} at {step.OfferedRate:N0} req/s: {step.Errors - step.NotSent:N0} errors";
        }

        foreach (var start in results.Starts.Where(s => s.Problem is not null || !s.FirstGetFound))
        {
            yield return $"start-to-ready: {start.Problem ?? "the first Get did not find the key"}";
        }
    }

    private static void RenderConfiguration(StringBuilder md, FastPathConfiguration configuration)
    {
        md.AppendLine(Inv($"- Sidecar namespaces added by the bench (on top of the sidecar's own appsettings.json ones): `{BenchNamespaces.GetHit}` CacheAside (Get, BatchGet); `{BenchNamespaces.NearCacheGet}` CacheAside with the L1 near-cache ({(configuration.NearCache ? BenchNamespaces.NearCacheSettings : "not configured: " + configuration.NearCacheSkipped)}); `{BenchNamespaces.PutCacheAside}` CacheAside, `{BenchNamespaces.PutWriteThrough}` WriteThrough, `{BenchNamespaces.PutTtl}` Ttl with a collection, `{BenchNamespaces.PutPureCache}` Ttl without a collection (pure cache), `{BenchNamespaces.PutWriteBehind}` WriteBehind (BatchSize 500, FlushInterval 50 ms; {(configuration.WriteBehind ? "flushers running in the same sidecar" : "not configured: " + configuration.WriteBehindSkipped)}). Entry TTL 10 min everywhere."));
        md.AppendLine("- Every value is the same 1 KB JSON object; Get keys are written and read once beforehand so every measured Get is a hit.");
        md.AppendLine();
    }

    private static void RenderSummary(StringBuilder md, FastPathResults results)
    {
        md.AppendLine("### Against DESIGN §9");
        md.AppendLine();
        md.AppendLine("| target (DESIGN §9) | measured | |");
        md.AppendLine("|---|---|---|");

        var rate = results.Rate;
        var added90 = Added(rate.Sidecar, rate.Direct, 90);
        var added99 = Added(rate.Sidecar, rate.Direct, 99);
        md.AppendLine(Inv($"| added latency of a Get hit over a direct Redis GET at {rate.Rate:N0} req/s, p90 ≤ {AddedP90TargetMs} ms | {Ms(added90)} | {MetOrNot(added90 <= AddedP90TargetMs, added90)} |"));
        md.AppendLine(Inv($"| same, p99 ≤ {AddedP99TargetMs} ms | {Ms(added99)} | {MetOrNot(added99 <= AddedP99TargetMs, added99)} |"));

        var saturation = results.Saturation;
        var get = saturation.Find(FastPathScenarios.GetHit)?.OpsPerSecond;
        var redis = saturation.Find(FastPathScenarios.DirectRedis)?.OpsPerSecond;
        var noop = saturation.Find(FastPathScenarios.NoOp)?.OpsPerSecond;
        var l1 = saturation.Find(FastPathScenarios.NearCacheGet)?.OpsPerSecond;
        var put = saturation.Find(FastPathScenarios.PutWriteBehind)?.OpsPerSecond;
        if (get is { } g && redis is { } r && noop is { } n)
        {
            var ratio = g / Math.Min(n, r);
            md.AppendLine(Inv($"| Get-hit throughput ≥ {Percent(GetToFloorTarget)} of min(no-op RPC, direct Redis GET) | {Percent(ratio)} ({g:N0} / {Math.Min(n, r):N0} ops/s, .NET gRPC client) | {Met(ratio >= GetToFloorTarget)} |"));
        }

        if (results.H2LoadNoOp is { NotMeasured: null } noopH2 && results.H2Load is { NotMeasured: null } getH2 && redis is { } r3 && r3 > noopH2.RequestsPerSecond)
        {
            var ratio = getH2.RequestsPerSecond / noopH2.RequestsPerSecond;
            md.AppendLine(Inv($"| same, both sidecar rows driven by h2load (part 4) | {Percent(ratio)} ({getH2.RequestsPerSecond:N0} / {noopH2.RequestsPerSecond:N0} req/s) | {Met(ratio >= GetToFloorTarget)} |"));
        }

        md.AppendLine(l1 is { } l && redis is { } r2
            ? Inv($"| L1 hot-key Get > {Percent(NearCacheToRedisTarget)} of direct Redis GET | {Percent(l / r2)} ({l:N0} / {r2:N0} ops/s) | {Met(l / r2 > NearCacheToRedisTarget)} |")
            : Inv($"| L1 hot-key Get > {Percent(NearCacheToRedisTarget)} of direct Redis GET | not measured: {results.Configuration.NearCacheSkipped} | – |"));
        md.AppendLine(put is { } p && get is { } g2
            ? Inv($"| write-behind Put ≥ {Percent(PutToGetTarget)} of Get hit | {Percent(p / g2)} ({p:N0} / {g2:N0} ops/s) | {Met(p / g2 >= PutToGetTarget)} |")
            : Inv($"| write-behind Put ≥ {Percent(PutToGetTarget)} of Get hit | not measured: {results.Configuration.WriteBehindSkipped} | – |"));

        if (rate.RssSteady is { } rss)
        {
            md.AppendLine(Inv($"| sidecar RSS steady at {rate.Rate:N0} req/s ≤ {RssTargetMb:0} MB | median {rss.MedianBytes / Mb:F1} MB, max {rss.MaxBytes / Mb:F1} MB | {Met(rss.MaxBytes / Mb <= RssTargetMb)} |"));
        }
        else
        {
            md.AppendLine(Inv($"| sidecar RSS steady at {rate.Rate:N0} req/s ≤ {RssTargetMb:0} MB | not sampled | – |"));
        }

        var ready = results.Starts.Where(s => s.Ready is not null).Select(s => s.Ready!.Value.TotalSeconds).Order().ToList();
        var firstGet = results.Starts.Where(s => s.FirstGet is not null).Select(s => s.FirstGet!.Value.TotalSeconds).Order().ToList();
        if (ready.Count > 0 && firstGet.Count > 0)
        {
            md.AppendLine(Inv($"| ready to serve ≤ {ReadyTargetSeconds:0} s after process start | `/readyz` 200: median {ready[ready.Count / 2]:F2} s, max {ready[^1]:F2} s; first Get: median {firstGet[firstGet.Count / 2]:F2} s, max {firstGet[^1]:F2} s ({results.Starts.Count} starts) | {Met(Math.Max(ready[^1], firstGet[^1]) <= ReadyTargetSeconds)} (max of both) |"));
        }
        else
        {
            md.AppendLine(Inv($"| ready to serve ≤ {ReadyTargetSeconds:0} s after process start | not measured | – |"));
        }

        md.AppendLine();
        md.AppendLine("\"met\" compares the measured number with the target as written; on this shared 2-core machine every process competes for the same cores, so read the ratios rather than the absolute rates.");
        md.AppendLine();
    }

    private static void RenderRate(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var rate = results.Rate;
        md.AppendLine(Inv($"### 1. Latency at {rate.Rate:N0} req/s (open loop, Dapr's method)"));
        md.AppendLine();
        md.AppendLine(Inv($"Calls are scheduled at exactly {rate.Rate:N0} per second (call i due at start + i ms) and sent when due, whether or not earlier calls have returned; each latency is measured from the call's **intended** send time, so a stall is charged to every call scheduled during it (no coordinated omission). 2 s warm-up, then {options.RateDurationSeconds} s measured per row, one after the other, from the same client process (direct Redis: one `ConnectionMultiplexer`; sidecar: one `GrpcChannel`). Latency in µs (HdrHistogram). \"send lateness\" is how late the pacer thread actually sent (part of every latency, the same for every row): it shows the load generator's own timing noise."));
        md.AppendLine();
        md.AppendLine("| scenario | offered/s | achieved/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | send lateness p50 / p99 µs |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in new[] { rate.Direct, rate.Sidecar, rate.NearCache }.OfType<OpenLoopResult>())
        {
            md.AppendLine(OpenLoopRow(run));
        }

        if (rate.NearCache is null)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.NearCacheGet} | not measured: {results.Configuration.NearCacheSkipped} | | | | | | | | |"));
        }

        md.AppendLine();
        md.AppendLine("Added latency (sidecar row minus direct Redis row, same percentile):");
        md.AppendLine();
        md.AppendLine("| | p50 | p90 | p99 |");
        md.AppendLine("|---|---:|---:|---:|");
        md.AppendLine(Inv($"| Get hit − direct Redis GET | {Ms(Added(rate.Sidecar, rate.Direct, 50))} | {Ms(Added(rate.Sidecar, rate.Direct, 90))} (target ≤ {AddedP90TargetMs} ms: {MetOrNot(Added(rate.Sidecar, rate.Direct, 90) <= AddedP90TargetMs, Added(rate.Sidecar, rate.Direct, 90))}) | {Ms(Added(rate.Sidecar, rate.Direct, 99))} (target ≤ {AddedP99TargetMs} ms: {MetOrNot(Added(rate.Sidecar, rate.Direct, 99) <= AddedP99TargetMs, Added(rate.Sidecar, rate.Direct, 99))}) |"));
        if (rate.NearCache is { } l1)
        {
            md.AppendLine(Inv($"| L1 hot-key Get − direct Redis GET | {Ms(Added(l1, rate.Direct, 50))} | {Ms(Added(l1, rate.Direct, 90))} | {Ms(Added(l1, rate.Direct, 99))} |"));
        }

        md.AppendLine("| Dapr's published state-API overhead, for reference | – | +0.75 ms | +1.52 ms |");
        md.AppendLine();
        var negative = new[] { 50.0, 90, 99 }.Where(p => Added(rate.Sidecar, rate.Direct, p) < 0 || (rate.NearCache is { } l && Added(l, rate.Direct, p) < 0)).ToList();
        if (negative.Count > 0)
        {
            md.AppendLine(Inv($"A negative difference (at p{string.Join("/p", negative.Select(p => p.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}) means that at this percentile the latencies are set by the machine (scheduling on the shared cores, GC, the pacer's lateness) rather than by either path: the rows were measured one after the other, not interleaved, so their tails saw different disturbances. \"met\" then only says the sidecar was not measurably worse there; repeat the run (or raise `--rate-duration`) for a firmer tail."));
            md.AppendLine();
        }

        md.AppendLine("The added latency includes everything between the application and Redis that a sidecar adds: the .NET gRPC client, HTTP/2 over loopback, the sidecar's pipeline and its Redis reads (see the Redis cmds/call column of part 2), against a plain `GET` from StackExchange.Redis in the same process.");
        if (rate.NearCacheShare is { } share)
        {
            md.AppendLine(Inv($"The sidecar counted {Percent(share)} of the L1 row's reads as served by its near-cache (`{FastPathMetrics.Reads}`)."));
        }

        md.AppendLine();
        md.AppendLine("**Memory** (sidecar `VmRSS` from `/proc/<pid>/status`, sampled every 100 ms; the target is read against `VmRSS`, the whole resident set). `VmRSS` = `RssAnon` (GC heap, native heap, stacks) + `RssFile` (mapped files: the runtime and the loaded assemblies, shared with other .NET processes and reclaimable) + `RssShmem` (for .NET: the JIT-compiled code, which the W^X protection maps through a memfd):");
        md.AppendLine();
        md.AppendLine(Inv($"- idle after start (connections open, keys prefilled, no traffic): {Rss(rate.RssIdle)}"));
        md.AppendLine(Inv($"- steady at {rate.Rate:N0} req/s (second half of the sidecar Get run): {Rss(rate.RssSteady)} — target ≤ {RssTargetMb:0} MB: {(rate.RssSteady is { } s ? Met(s.MaxBytes / Mb <= RssTargetMb) : "–")}"));
        md.AppendLine(Inv($"- highest over the whole run (saturation and sweep included, before the start-to-ready part): {Rss(results.RssPeak, peak: true)}"));
        md.AppendLine();
    }

    private static void RenderSaturation(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var saturation = results.Saturation;
        md.AppendLine("### 2. Throughput at saturation (closed loop)");
        md.AppendLine();
        md.AppendLine(Inv($"{options.Concurrency} concurrent callers, each sending its next call when the previous one returns, over one shared `GrpcChannel` (one HTTP/2 connection; the direct-Redis row: one `ConnectionMultiplexer`). {BenchOptions.WarmUp.TotalSeconds:0} s warm-up, then {options.DurationSeconds} s measured per row. Latency seen by the caller, in µs. Per-call columns count warm-up too: commands each backend received (Redis `total_commands_processed`, which includes the `redis.call`s inside a Lua script — approximate; MongoDB: commands other than handshakes and pings) and CPU time (user + system, `/proc/<pid>/stat`, 10 ms resolution) the sidecar, redis-server and this bench process (load generator and client; it also hosts the MongoDB test server, busy in the store-writing Put rows) used."));
        md.AppendLine();
        md.AppendLine("| scenario | ops/s | keys/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | Redis cmds/call | MongoDB cmds/call | sidecar CPU µs/call | redis CPU µs/call | bench CPU µs/call |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in saturation.Rows)
        {
            var load = row.Scenario.Load;
            var percentiles = string.Join(" | ", Percentiles.Select(p => Micros(load.PercentileMicroseconds(p))));
            var keys = row.KeysPerCall > 1 ? Inv($"{load.OperationsPerSecond * row.KeysPerCall:N0}") : "";
            md.AppendLine(Inv($"| {row.Name} | {load.OperationsPerSecond:N0} | {keys} | {percentiles} | {Micros(load.MaxMicroseconds)} | {load.Errors + load.Unexpected:N0} | {PerCall(row.Scenario.RedisCommandsPerCall)} | {PerCall(row.Scenario.MongoCommandsPerCall)} | {CpuMicros(row.Scenario.SidecarCpuPerCall)} | {CpuMicros(row.Scenario.RedisCpuPerCall)} | {CpuMicros(row.Scenario.BenchCpuPerCall)} |"));
        }

        if (results.Configuration.NearCacheSkipped is { } l1)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.NearCacheGet} | not measured: {l1} | | | | | | | | | | | | |"));
        }

        if (results.Configuration.WriteBehindSkipped is { } wb)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.PutWriteBehind} | not measured: {wb} | | | | | | | | | | | | |"));
        }

        md.AppendLine();
        md.AppendLine("Ratios (of ops/s):");
        md.AppendLine();
        var get = saturation.Find(FastPathScenarios.GetHit)?.OpsPerSecond;
        var redis = saturation.Find(FastPathScenarios.DirectRedis)?.OpsPerSecond;
        var noop = saturation.Find(FastPathScenarios.NoOp)?.OpsPerSecond;
        if (get is { } g && redis is { } r && noop is { } n)
        {
            var floor = Math.Min(n, r);
            md.AppendLine(Inv($"- Get hit / min(no-op RPC, direct Redis GET) = {g:N0} / {floor:N0} = **{Percent(g / floor)}** (target ≥ {Percent(GetToFloorTarget)}: {Met(g / floor >= GetToFloorTarget)}). The no-op RPC is `Cache/ListNamespaces`, answered from memory through the same server, interceptors and HTTP/2 connection. `grpc.health.v1.Health/Check` is **not** a no-op here: Grpc.AspNetCore.HealthChecks runs the registered health checks (a Redis `PING` and a store point read) on every call, so it is far slower than any Get — see its row in `## Write-behind`."));
            md.AppendLine(Inv($"- Get hit / no-op RPC = {Percent(g / n)}; Get hit / direct Redis GET = {Percent(g / r)}. Reply sizes (protobuf): ListNamespaces {results.ReplyBytes.NoOp:N0} B (the policy of every configured namespace), Get hit {results.ReplyBytes.GetHit:N0} B{(results.ReplyBytes.NoOp >= results.ReplyBytes.GetHit / 2 && results.ReplyBytes.NoOp <= results.ReplyBytes.GetHit * 2 ? " — the no-op RPC moves about as many bytes as a Get, it just does no backend work" : "")}."));
        }

        if (saturation.Find(FastPathScenarios.NearCacheGet) is { } l1Row && redis is { } r2)
        {
            md.AppendLine(Inv($"- L1 hot-key Get / direct Redis GET = {l1Row.OpsPerSecond:N0} / {r2:N0} = **{Percent(l1Row.OpsPerSecond / r2)}** (target > {Percent(NearCacheToRedisTarget)}: {Met(l1Row.OpsPerSecond / r2 > NearCacheToRedisTarget)}){(l1Row.NearCacheShare is { } share ? Inv($"; the sidecar counted {Percent(share)} of this row's reads as near-cache reads") : "")}."));
            if (get is { } g3)
            {
                md.AppendLine(Inv($"- L1 hot-key Get / Get hit (Redis) = {Percent(l1Row.OpsPerSecond / g3)}{(noop is { } n2 ? Inv($"; L1 hot-key Get / no-op RPC = {Percent(l1Row.OpsPerSecond / n2)}") : "")}."));
            }

            if (saturation.Find(FastPathScenarios.DirectRedis)?.Scenario is { } direct)
            {
                md.AppendLine(Inv($"- CPU per call, which decides these rates when client and servers share 2 cores: L1 hot-key Get = {CpuMicros(l1Row.Scenario.BenchCpuPerCall)} µs in the client (bench process) + {CpuMicros(l1Row.Scenario.SidecarCpuPerCall)} µs in the sidecar; direct Redis GET = {CpuMicros(direct.BenchCpuPerCall)} µs in the client + {CpuMicros(direct.RedisCpuPerCall)} µs in redis-server (pipelined on one connection)."));
            }
        }

        if (saturation.Find(FastPathScenarios.PutWriteBehind) is { } putRow && get is { } g2)
        {
            md.AppendLine(Inv($"- Write-behind Put / Get hit = {putRow.OpsPerSecond:N0} / {g2:N0} = **{Percent(putRow.OpsPerSecond / g2)}** (target ≥ {Percent(PutToGetTarget)}: {Met(putRow.OpsPerSecond / g2 >= PutToGetTarget)}) — with this sidecar's flushers writing the same Puts to the store on the same cores."));
        }

        if (saturation.BacklogAfterWriteBehindPut is { } backlog)
        {
            md.AppendLine(Inv($"- `{BenchNamespaces.PutWriteBehind}` backlog right after the Put window: {backlog:N0} entries (large = the flushers were behind the Put rate)."));
        }

        foreach (var batch in new[] { FastPathScenarios.BatchGet10, FastPathScenarios.BatchGet100 })
        {
            if (saturation.Find(batch) is { } batchRow && get is { } g4)
            {
                md.AppendLine(Inv($"- {batch}: {batchRow.OpsPerSecond * batchRow.KeysPerCall:N0} keys/s = {Percent(batchRow.OpsPerSecond * batchRow.KeysPerCall / g4)} of the single-key Get hit's keys/s."));
            }
        }

        md.AppendLine();
        if (saturation.GetHitAllocation is { } allocation)
        {
            md.AppendLine(Inv($"**Server-side allocation per Get hit** (the sidecar's own `{FastPathMetrics.AllocatedBytes}` on `/metrics`, read before and after the Get-hit row, divided by the Get calls the sidecar counted, warm-up included): **{allocation.BytesPerCall:N0} B/call** over {allocation.Calls:N0} calls; {allocation.NetBytesPerCall:N0} B/call after taking off the idle allocation rate measured just before ({allocation.IdleBytesPerSecond / 1024:N0} KB/s: flusher polls, timers, the scrapes). Client-side allocations are not in it; the `alloc` command measures both ends together in one process."));
            md.AppendLine();
        }

        var problems = saturation.Rows.Where(r => r.Scenario.Load.FirstProblem is not null).ToList();
        if (problems.Count > 0)
        {
            md.AppendLine("Errors (first of each row; a Get that was not a hit with source CACHE, a Put not `persisted`/`queued`, or a failed call):");
            md.AppendLine();
            foreach (var problem in problems)
            {
                md.AppendLine(Inv($"- {problem.Scenario.Load.FirstProblem}"));
            }

            md.AppendLine();
        }
    }

    private static void RenderSweep(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        md.AppendLine("### 3. Latency against offered load (open loop)");
        md.AppendLine();
        md.AppendLine(Inv($"The same open-loop method as part 1, {options.SweepDurationSeconds} s per step after 1 s of warm-up, at {string.Join(", ", options.SweepRates.Select(r => Inv($"{r:N0}")))} req/s. A series stops at the first step that did not keep up (marked ✗): achieved < {OpenLoopResult.KeepUpShare:P0} of offered, or more than {OpenLoopResult.QueueingShare:P0} of the sends found {OpenLoopLoad.MaxInFlight} calls still in flight (answers slower than arrivals: a queue was building). Past that point the percentiles measure the queue, not the service, and grow with the step's length."));
        md.AppendLine();
        if (results.PlotFile is not null)
        {
            md.AppendLine("![Get latency (p50, p99) against offered load](benchmarks-latency.png)");
        }
        else
        {
            md.AppendLine(Inv($"(Plot not written: {results.PlotProblem}.)"));
        }

        md.AppendLine();
        var header = new StringBuilder("| offered req/s |");
        var rule = new StringBuilder("|---:|");
        foreach (var series in results.Sweep)
        {
            header.Append(Inv($" {series.Name}: achieved/s | p50 µs | p99 µs |"));
            rule.Append("---:|---:|---:|");
        }

        md.AppendLine(header.ToString());
        md.AppendLine(rule.ToString());
        foreach (var offered in options.SweepRates)
        {
            var line = new StringBuilder(Inv($"| {offered:N0} |"));
            foreach (var series in results.Sweep)
            {
                var step = series.Steps.FirstOrDefault(s => s.OfferedRate == offered);
                line.Append(step is null
                    ? " | | |"
                    : Inv($" {step.AchievedRate:N0}{(step.KeptUp ? "" : step.WaitedShare > OpenLoopResult.QueueingShare ? Inv($" ✗ (queue: {step.WaitedShare:P1} of sends waited)") : " ✗")} | {Micros(step.PercentileMicroseconds(50))} | {Micros(step.PercentileMicroseconds(99))}{(GeneratorStall(step) ? " †" : "")} |"));
            }

            md.AppendLine(line.ToString());
        }

        md.AppendLine();
        var stalls = results.Sweep.SelectMany(s => s.Steps).Where(GeneratorStall).ToList();
        if (stalls.Count > 0)
        {
            md.AppendLine(Inv($"† The pacer itself sent late by as much as this tail ({string.Join("; ", stalls.Select(s => Inv($"{s.Name} at {s.OfferedRate:N0} req/s: send lateness p99 {Micros(s.LatenessMicroseconds(99))} µs")))}): the load-generator process (or the whole machine) stalled during that step, so that tail is not the measured path's own; repeat the run for a clean figure."));
            md.AppendLine();
        }

        foreach (var series in results.Sweep)
        {
            var kept = series.Steps.Where(s => s.KeptUp).ToList();
            md.AppendLine(series.Saturated
                ? Inv($"- {series.Name}: kept up to {(kept.Count > 0 ? Inv($"{kept[^1].OfferedRate:N0}") : "no step")} req/s; at {series.Steps[^1].OfferedRate:N0} it achieved {series.Steps[^1].AchievedRate:N0}/s.")
                : Inv($"- {series.Name}: kept up at every step."));
        }

        md.AppendLine();
    }

    private static void RenderH2Load(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var h2 = results.H2Load;
        md.AppendLine("### 4. Cross-check with h2load");
        md.AppendLine();
        md.AppendLine(Inv($"An independent load generator against the same sidecar's Get: h2load (nghttp2) on **one** HTTP/2 cleartext connection with prior knowledge and {options.Concurrency} concurrent streams (`-c 1 -m {options.Concurrency}`), the shape of our one `GrpcChannel` with {options.Concurrency} callers, closed loop, {BenchOptions.WarmUp.TotalSeconds:0} s warm-up + {options.DurationSeconds} s. It POSTs a gRPC-framed `GetRequest` (1-byte compressed flag 0, 4-byte big-endian length, protobuf) to `{H2LoadCrossCheck.GetPath}` with `content-type: application/grpc` and `te: trailers` — one key (`{BenchNamespaces.GetHit}`/first key), where our row cycles 1,000."));
        md.AppendLine();
        md.AppendLine("```bash");
        md.AppendLine(h2.Command);
        md.AppendLine("```");
        md.AppendLine();
        if (h2.NotMeasured is not null)
        {
            md.AppendLine(Inv($"**Not measured**: {h2.NotMeasured}."));
            md.AppendLine();
            return;
        }

        var ours = results.Saturation.Find(FastPathScenarios.GetHit)?.Scenario.Load;
        md.AppendLine("| load generator | req/s | mean µs | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        if (ours is not null)
        {
            md.AppendLine(Inv($"| this bench (.NET gRPC client, HdrHistogram) | {ours.OperationsPerSecond:N0} | {Micros(ours.MeanMicroseconds)} | {string.Join(" | ", Percentiles.Select(p => Micros(ours.PercentileMicroseconds(p))))} | {Micros(ours.MaxMicroseconds)} |"));
        }

        md.AppendLine(Inv($"| h2load (`--log-file` durations) | {h2.RequestsPerSecond:N0} | {Micros(h2.MeanMicroseconds)} | {string.Join(" | ", Percentiles.Select(p => Micros(h2.PercentileMicroseconds(p))))} | {Micros(h2.MaxMicroseconds)} |"));
        md.AppendLine();
        if (ours is not null)
        {
            var rateRatio = h2.RequestsPerSecond / ours.OperationsPerSecond;
            md.AppendLine(Inv($"h2load / this bench: req/s **{Percent(rateRatio)}** ({(rateRatio >= 1 ? "+" : "")}{(rateRatio - 1) * 100:F0}%), mean latency {Percent(h2.MeanMicroseconds / ours.MeanMicroseconds)}, p50 {Percent(h2.PercentileMicroseconds(50) / ours.PercentileMicroseconds(50))}, p99 {Percent(h2.PercentileMicroseconds(99) / ours.PercentileMicroseconds(99))}."));
            md.AppendLine();
            var ourRow = results.Saturation.Find(FastPathScenarios.GetHit)?.Scenario;
            md.AppendLine(Inv($"Why they differ: both are closed loop with the same number of streams on one connection, but the load generator shares the 2 cores with the sidecar and redis-server, so whatever CPU it spends per call is taken from the server. CPU per call — load generator: h2load {CpuMicros(h2.H2LoadCpuPerCall)} µs, this bench (.NET gRPC client, async continuations, HdrHistogram) {CpuMicros(ourRow?.BenchCpuPerCall)} µs; sidecar: {CpuMicros(h2.SidecarCpuPerCall)} µs under h2load, {CpuMicros(ourRow?.SidecarCpuPerCall)} µs under this bench. Other differences: h2load reads one key while our row cycles 1,000, and it times a request from its stream's start to the end of the response, ours from before the client call to the awaited reply (client-side serialisation and scheduling included). So h2load's figure is closer to what the sidecar can serve with a cheap client, ours to what a .NET application sees; the server-side verification below shows h2load's figure is real."));
            md.AppendLine();
        }

        md.AppendLine(Inv($"Were h2load's answers real gRPC successes? h2load counts HTTP 200, but gRPC reports errors in the `grpc-status` trailer. h2load: {h2.Succeeded:N0} succeeded, {h2.Failed:N0} failed/errored/timed out in the measured window; {h2.LoggedRows:N0} rows in its log, {h2.LoggedNon200:N0} of them not 200. Sidecar `/metrics` over the whole h2load run (warm-up included): {h2.ServerOkCalls:N0} `Get` calls in `{BenchNamespaces.GetHit}` with status OK, {h2.ServerCancelledCalls:N0} CANCELLED (h2load resets the streams still open when its duration ends: at most {h2.Streams}, not counted by h2load), {h2.ServerOtherCalls:N0} with any other status; {h2.ServerCacheHits:N0} keys read from the cache and found. The same key read afterwards with the normal gRPC client: {(h2.ClientCheck ? "found, source CACHE" : "**not** a cache hit")}. Verdict: {(H2LoadVerified(h2) ? "every h2load request was a successful cache hit" : "**not all h2load requests were successful cache hits**")}."));
        md.AppendLine();

        if (results.H2LoadNoOp is { } noop)
        {
            md.AppendLine(Inv($"**The same generator on the no-op RPC** (`{H2LoadCrossCheck.ListNamespacesPath}`, an empty request: the 5-byte frame `00 00000000`), same settings, to get the §9 throughput ratio without the .NET client's CPU on the shared cores:"));
            md.AppendLine();
            if (noop.NotMeasured is not null)
            {
                md.AppendLine(Inv($"Not measured: {noop.NotMeasured}."));
            }
            else
            {
                md.AppendLine("| h2load | req/s | mean µs | p50 µs | p99 µs | sidecar CPU µs/call | answers verified on the server |");
                md.AppendLine("|---|---:|---:|---:|---:|---:|---|");
                md.AppendLine(Inv($"| Get hit | {h2.RequestsPerSecond:N0} | {Micros(h2.MeanMicroseconds)} | {Micros(h2.PercentileMicroseconds(50))} | {Micros(h2.PercentileMicroseconds(99))} | {CpuMicros(h2.SidecarCpuPerCall)} | {(H2LoadVerified(h2) ? "yes" : "**no**")} |"));
                md.AppendLine(Inv($"| ListNamespaces (no-op) | {noop.RequestsPerSecond:N0} | {Micros(noop.MeanMicroseconds)} | {Micros(noop.PercentileMicroseconds(50))} | {Micros(noop.PercentileMicroseconds(99))} | {CpuMicros(noop.SidecarCpuPerCall)} | {(H2LoadVerified(noop) ? Inv($"yes ({noop.ServerOkCalls:N0} OK, {noop.ServerCancelledCalls:N0} cancelled at the end, {noop.ServerOtherCalls:N0} other)") : Inv($"**no** ({noop.ServerOkCalls:N0} OK, {noop.ServerCancelledCalls:N0} cancelled, {noop.ServerOtherCalls:N0} other)"))} |"));
                md.AppendLine();
                var ratio = h2.RequestsPerSecond / noop.RequestsPerSecond;
                md.AppendLine(Inv($"Get hit / no-op RPC, both driven by h2load = {h2.RequestsPerSecond:N0} / {noop.RequestsPerSecond:N0} = **{Percent(ratio)}** (the §9 target ≥ {Percent(GetToFloorTarget)} is stated against min(no-op, direct Redis GET); the direct Redis GET rate is far above both here, so the no-op is the minimum: {Met(ratio >= GetToFloorTarget)} by this measure)."));
            }

            md.AppendLine();
        }
    }

    private static void RenderStarts(StringBuilder md, IReadOnlyList<StartResult> starts)
    {
        md.AppendLine("### 5. Start-to-ready");
        md.AppendLine();
        md.AppendLine(Inv($"{starts.Count} fresh sidecar processes, one at a time, same configuration as above (the measured sidecar stopped first). Each is timed from just before `Process.Start` (`dotnet CacheSidecar.dll`) to the first 200 from `/readyz` (polled every 10 ms; readiness runs the Redis and store checks) and to the first successful gRPC `Get` of a key already in Redis (also polled every 10 ms)."));
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

    private static bool H2LoadVerified(H2LoadResult h2) =>
        h2.NotMeasured is null && h2.Failed == 0 && h2.LoggedNon200 == 0 && h2.ServerOtherCalls == 0 && h2.ServerCancelledCalls <= h2.Streams && h2.ClientCheck
        && h2.ServerOkCalls >= h2.Succeeded && h2.Succeeded > 0
        && (double.IsNaN(h2.ServerCacheHits) || Math.Abs(h2.ServerCacheHits - h2.ServerOkCalls) < 1);

    /// <summary>A step that kept up but whose p99 is mostly the pacer's own lateness: a stall of the load generator or the machine.</summary>
    private static bool GeneratorStall(OpenLoopResult step) =>
        step.KeptUp && step.PercentileMicroseconds(99) >= 10_000 && step.LatenessMicroseconds(99) >= 0.5 * step.PercentileMicroseconds(99);

    private static string OpenLoopRow(OpenLoopResult run) =>
        Inv($"| {run.Name} | {run.OfferedRate:N0} | {run.AchievedRate:N0}{(run.KeptUp ? "" : " ✗")} | {string.Join(" | ", Percentiles.Select(p => Micros(run.PercentileMicroseconds(p))))} | {Micros(run.MaxMicroseconds)} | {run.Errors:N0} | {Micros(run.LatenessMicroseconds(50))} / {Micros(run.LatenessMicroseconds(99))} |");

    /// <summary>Sidecar minus direct at a percentile, in ms.</summary>
    private static double Added(OpenLoopResult sidecar, OpenLoopResult direct, double percentile) =>
        (sidecar.PercentileMicroseconds(percentile) - direct.PercentileMicroseconds(percentile)) / 1000.0;

    private static string Ms(double value) => double.IsNaN(value) ? "–" : Inv($"{(value >= 0 ? "+" : "")}{value:F3} ms");

    private static string MetOrNot(bool met, double value) => double.IsNaN(value) ? "–" : Met(met);

    private static string CpuMicros(TimeSpan? perCall) => perCall is { } value ? Inv($"{value.TotalMicroseconds:N0}") : "–";

    private static string Rss(RssStats? stats, bool peak = false) => stats is null
        ? "not sampled"
        : peak
            ? Inv($"{stats.MaxBytes / Mb:F1} MB")
            : Inv($"median {stats.MedianBytes / Mb:F1} MB, max {stats.MaxBytes / Mb:F1} MB ({stats.Samples} samples; the median sample = {stats.Median.Anonymous / Mb:F1} anon + {stats.Median.File / Mb:F1} file + {stats.Median.Shared / Mb:F1} shmem)");
}
