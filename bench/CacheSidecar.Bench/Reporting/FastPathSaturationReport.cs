using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Infrastructure;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Part 2 of <c>## Fast path</c>: the closed-loop table, its ratios (serial limit with the .NET client) and the server-side allocation.</summary>
internal static class FastPathSaturationReport
{
    private static readonly double[] Percentiles = [50, 90, 99];

    public static void Render(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var saturation = results.Saturation;
        md.AppendLine("### 2. Throughput at saturation (closed loop)");
        md.AppendLine();
        md.AppendLine(Inv($"{options.Concurrency} concurrent callers, each sending its next call when the previous one returns, over one shared `GrpcChannel` (one HTTP/2 connection; the direct-Redis row: one `ConnectionMultiplexer`). {BenchOptions.WarmUp.TotalSeconds:0} s warm-up, then {options.DurationSeconds} s measured per run; median of {results.Rounds} runs (lowest–highest). Latency seen by the caller, in µs. Per-call columns (medians) count warm-up too: commands each backend received (Redis `total_commands_processed`, which includes the `redis.call`s inside a Lua script — approximate; MongoDB: commands other than handshakes and pings) and CPU time (user + system, `/proc/<pid>/stat`, 10 ms resolution) the sidecar, redis-server and this bench process (load generator and client; it also hosts the MongoDB test server, busy in the store-writing Put rows) used. After each write-behind Put run the bench waits until the flushers have emptied its backlog."));
        md.AppendLine();
        md.AppendLine("| scenario | ops/s | keys/s | p50 µs | p90 µs | p99 µs | errors | Redis cmds/call | MongoDB cmds/call | sidecar CPU µs/call | redis CPU µs/call | bench CPU µs/call |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in saturation.Rows.Where(r => r.Runs.Count > 0))
        {
            var percentiles = string.Join(" | ", Percentiles.Select(p => Micros(row.Percentile(p))));
            var keys = row.KeysPerCall > 1 ? Inv($"{row.OpsPerSecond * row.KeysPerCall:N0}") : "";
            md.AppendLine(Inv($"| {row.Name} | {Rate(row.Ops)} | {keys} | {percentiles} | {row.Errors:N0} | {PerCall(row.RedisCommandsPerCall)} | {PerCall(row.MongoCommandsPerCall)} | {CpuMicros(row.SidecarCpuPerCall)} | {CpuMicros(row.RedisCpuPerCall)} | {CpuMicros(row.BenchCpuPerCall)} |"));
        }

        if (results.Configuration.NearCacheSkipped is { } l1)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.NearCacheGet} | not measured: {l1} | | | | | | | | | | |"));
        }

        if (results.Configuration.WriteBehindSkipped is { } wb)
        {
            md.AppendLine(Inv($"| {FastPathScenarios.PutWriteBehind} | not measured: {wb} | | | | | | | | | | |"));
        }

        md.AppendLine();
        RenderRatios(md, results);
        RenderAllocation(md, saturation);
        RenderProblems(md, saturation);
    }

    private static void RenderRatios(StringBuilder md, FastPathResults results)
    {
        var saturation = results.Saturation;
        Spread Ratio(string a, string b) => FastPathTargetsReport.PerRound(saturation, a, b, results.Rounds);
        md.AppendLine("Ratios of ops/s, taken within each round (median, lowest–highest):");
        md.AppendLine();
        var limit = SerialLimit.DotNet(saturation, results.Rounds);
        if (limit.Measured)
        {
            md.AppendLine(Inv($"- **Serial limit, .NET client** = 1 / (1/no-op RPC + 1/direct Redis GET) = {Rate(limit.Limit)} ops/s (no-op {Rate(limit.NoOp)}, direct Redis GET {Rate(limit.Redis)}); Get hit / serial limit = **{Percent(limit.GetShare)}** (target ≥ {ReportText.Percent(FastPathTargetsReport.GetToSerialLimitTarget)}: {MetOrNot(limit.GetShare.Median, limit.GetShare.Median >= FastPathTargetsReport.GetToSerialLimitTarget)}). The no-op RPC is `Cache/ListNamespaces`, answered from memory through the same server, interceptors and HTTP/2 connection; `grpc.health.v1.Health/Check` is **not** a no-op here (Grpc.AspNetCore.HealthChecks runs a Redis `PING` and a store point read on every call; see `## Write-behind`)."));
            md.AppendLine(Inv($"- Get hit / no-op RPC = {Percent(Ratio(FastPathScenarios.GetHit, FastPathScenarios.NoOp))}; Get hit / direct Redis GET = {Percent(Ratio(FastPathScenarios.GetHit, FastPathScenarios.DirectRedis))}. Reply sizes (protobuf): ListNamespaces {results.ReplyBytes.NoOp:N0} B (the policy of every configured namespace), Get hit {results.ReplyBytes.GetHit:N0} B."));
        }

        var l1 = Ratio(FastPathScenarios.NearCacheGet, FastPathScenarios.DirectRedis);
        if (l1.Measured && saturation.Find(FastPathScenarios.NearCacheGet) is { } l1Row)
        {
            md.AppendLine(Inv($"- L1 hot-key Get / direct Redis GET = **{Range(l1, v => Inv($"{v:F2}×"))}** (target ≥ {FastPathTargetsReport.NearCacheToRedisTarget:0.0}×: {MetOrNot(l1.Median, l1.Median >= FastPathTargetsReport.NearCacheToRedisTarget)}){(l1Row.NearCacheShare is { } share ? Inv($"; the sidecar counted {ReportText.Percent(share)} of this row's reads as near-cache reads") : "")}; L1 hot-key Get / Get hit (Redis) = {Percent(Ratio(FastPathScenarios.NearCacheGet, FastPathScenarios.GetHit))}."));
            if (saturation.Find(FastPathScenarios.DirectRedis) is { } direct)
            {
                md.AppendLine(Inv($"- CPU per call, which decides these rates when client and servers share 2 cores: L1 hot-key Get = {CpuMicros(l1Row.BenchCpuPerCall)} µs in the client (bench process) + {CpuMicros(l1Row.SidecarCpuPerCall)} µs in the sidecar; direct Redis GET = {CpuMicros(direct.BenchCpuPerCall)} µs in the client + {CpuMicros(direct.RedisCpuPerCall)} µs in redis-server (pipelined on one connection)."));
            }
        }

        var put = Ratio(FastPathScenarios.PutWriteBehind, FastPathScenarios.GetHit);
        if (put.Measured)
        {
            md.AppendLine(Inv($"- Write-behind Put / Get hit = **{Percent(put)}** (target ≥ {ReportText.Percent(FastPathTargetsReport.PutToGetTarget)}: {MetOrNot(put.Median, put.Median >= FastPathTargetsReport.PutToGetTarget)}) — with this sidecar's flushers writing the same Puts to the store on the same cores."));
        }

        if (saturation.BacklogAfterWriteBehindPut.Count > 0)
        {
            md.AppendLine(Inv($"- `{BenchNamespaces.PutWriteBehind}` backlog right after each Put window: {string.Join(", ", saturation.BacklogAfterWriteBehindPut.Select(b => Inv($"{b:N0}")))} entries (large = the flushers were behind the Put rate)."));
        }

        foreach (var batch in new[] { FastPathScenarios.BatchGet10, FastPathScenarios.BatchGet100 })
        {
            var keys = Ratio(batch, FastPathScenarios.GetHit);
            if (keys.Measured && saturation.Find(batch) is { } row)
            {
                md.AppendLine(Inv($"- {batch}: keys/s = {Range(keys, v => ReportText.Percent(v * row.KeysPerCall))} of the single-key Get hit's keys/s."));
            }
        }

        md.AppendLine();
    }

    private static void RenderAllocation(StringBuilder md, SaturationResults saturation)
    {
        if (saturation.GetHitAllocation.Count == 0)
        {
            return;
        }

        var allocation = saturation.GetHitAllocation;
        md.AppendLine(Inv($"**Server-side allocation per Get hit** (the sidecar's own `{FastPathMetrics.AllocatedBytes}` on `/metrics`, read before and after each Get-hit run, divided by the Get calls the sidecar counted, warm-up included): **{Range(Spread.Of(allocation, a => a.BytesPerCall), v => Inv($"{v:N0}"))} B/call**; {Range(Spread.Of(allocation, a => a.NetBytesPerCall), v => Inv($"{v:N0}"))} B/call after taking off the idle allocation rate measured just before ({Spread.Of(allocation, a => a.IdleBytesPerSecond / 1024).Median:N0} KB/s: flusher polls, timers, the scrapes). Client-side allocations are not in it; the `alloc` command measures both ends together in one process."));
        md.AppendLine();
    }

    private static void RenderProblems(StringBuilder md, SaturationResults saturation)
    {
        var problems = saturation.Rows.Where(r => r.FirstProblem is not null).ToList();
        if (problems.Count == 0)
        {
            return;
        }

        md.AppendLine("Errors (first of each row; a Get that was not a hit with source CACHE, a Put not `persisted`/`queued`, or a failed call):");
        md.AppendLine();
        foreach (var problem in problems)
        {
            md.AppendLine(Inv($"- {problem.FirstProblem}"));
        }

        md.AppendLine();
    }
}
