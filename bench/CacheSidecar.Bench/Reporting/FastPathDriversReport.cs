using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Infrastructure;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// Part 4 of <c>## Fast path</c>: the C load generators (h2load on the Get hit and the no-op RPC,
/// redis-benchmark on GET), the serial limit they give, and how their answers were checked.
/// </summary>
internal static class FastPathDriversReport
{
    public static void Render(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        var drivers = results.Drivers;
        md.AppendLine("### 4. Serial limit with neutral drivers (h2load, redis-benchmark)");
        md.AppendLine();
        md.AppendLine(Inv($"DESIGN §9: the sidecar and Redis share the cores, so a Redis-backed Get can at best reach the **serial limit** 1 / (1/no-op RPC rate + 1/direct Redis GET rate). To keep the .NET client's own CPU out of the ratio, both sides are also driven by C load generators, in every round right after the closed-loop rows, with the same {options.Concurrency} concurrent requests, {BenchOptions.WarmUp.TotalSeconds:0} s warm-up + {options.DurationSeconds} s:"));
        md.AppendLine();
        md.AppendLine(Inv($"- **h2load** (nghttp2): one HTTP/2 cleartext connection with prior knowledge and {options.Concurrency} concurrent streams (`-c 1 -m {options.Concurrency}`), the shape of our one `GrpcChannel`, POSTing a gRPC-framed request (1-byte flag 0, 4-byte big-endian length, protobuf) with `content-type: application/grpc` and `te: trailers`: a `GetRequest` for the first `{BenchNamespaces.GetHit}` key to `{H2LoadCrossCheck.GetPath}`, and the empty request (`00 00000000`) to `{H2LoadCrossCheck.ListNamespacesPath}`."));
        md.AppendLine(Inv($"- **redis-benchmark** (redis-tools): `GET` of the same 1 KB value over {RedisBenchmarkDriver.KeyCount:N0} keys (`-r {RedisBenchmarkDriver.KeyCount}` expands `__rand_int__` to a 12-digit number; the keys are set beforehand), `-c {options.Concurrency}` connections with one request in flight each (redis-benchmark has no way to put {options.Concurrency} requests in flight on one connection, as StackExchange.Redis does). It has no duration option: `-n` is the previous run's rate × {options.DurationSeconds} s."));
        md.AppendLine();
        if (drivers.H2LoadGet.Count > 0 && drivers.H2LoadGet[0] is var h2Command)
        {
            md.AppendLine("```bash");
            md.AppendLine(h2Command.Command);
            if (drivers.RedisBenchmark.Count > 0 && drivers.RedisBenchmark[0] is var redisCommand)
            {
                md.AppendLine(redisCommand.Command);
            }

            md.AppendLine("```");
            md.AppendLine();
        }

        if (drivers.H2LoadMissing is { } h2Missing)
        {
            md.AppendLine(Inv($"**h2load not measured**: {h2Missing}."));
            md.AppendLine();
        }

        if (drivers.RedisBenchmarkMissing is { } redisMissing)
        {
            md.AppendLine(Inv($"**redis-benchmark not measured**: {redisMissing}."));
            md.AppendLine();
        }

        RenderTable(md, results);
        RenderLimits(md, results);
        RenderVerification(md, drivers);
    }

    /// <summary>The server side saw every h2load request succeed (gRPC reports errors in a trailer h2load does not read).</summary>
    public static bool H2LoadVerified(H2LoadResult h2) =>
        h2.NotMeasured is null && h2.Failed == 0 && h2.LoggedNon200 == 0 && h2.ServerOtherCalls == 0 && h2.ServerCancelledCalls <= h2.Streams && h2.ClientCheck
        && h2.ServerOkCalls >= h2.Succeeded && h2.Succeeded > 0
        && (double.IsNaN(h2.ServerCacheHits) || Math.Abs(h2.ServerCacheHits - h2.ServerOkCalls) < 1);

    private static void RenderTable(StringBuilder md, FastPathResults results)
    {
        var drivers = results.Drivers;
        md.AppendLine(Inv($"| driver, call | req/s | mean µs | p50 µs | p99 µs | driver CPU µs/call | server CPU µs/call | answers verified |"));
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (label, runs) in new[] { ("h2load, Get hit", drivers.MeasuredGet), ("h2load, no-op RPC (ListNamespaces)", drivers.MeasuredNoOp) })
        {
            if (runs.Count > 0)
            {
                md.AppendLine(Inv($"| {label} | {Rate(Spread.Of(runs, r => r.RequestsPerSecond))} | {Micros(Spread.Of(runs, r => r.MeanMicroseconds))} | {Micros(Spread.Of(runs, r => r.PercentileMicroseconds(50)))} | {Micros(Spread.Of(runs, r => r.PercentileMicroseconds(99)))} | {Cpu(runs, r => r.H2LoadCpuPerCall)} | {Cpu(runs, r => r.SidecarCpuPerCall)} (sidecar) | {(runs.All(H2LoadVerified) ? "yes" : "**no**")} |"));
            }
        }

        var redis = drivers.MeasuredRedis;
        if (redis.Count > 0)
        {
            md.AppendLine(Inv($"| redis-benchmark, GET 1 KB | {Rate(Spread.Of(redis, r => r.RequestsPerSecond))} | {Micros(Spread.Of(redis, r => r.MeanMicroseconds))} | {Micros(Spread.Of(redis, r => r.P50Microseconds))} | {Micros(Spread.Of(redis, r => r.P99Microseconds))} | {Cpu(redis, r => r.DriverCpuPerCall)} | {Cpu(redis, r => r.RedisCpuPerCall)} (redis-server) | {(redis.All(r => r.Verified) ? "yes" : "**no**")} |"));
        }

        if (results.Saturation.Find(FastPathScenarios.GetHit) is { } ours)
        {
            md.AppendLine(Inv($"| for comparison: .NET gRPC client, Get hit (part 2) | {Rate(ours.Ops)} | – | {Micros(ours.Percentile(50))} | {Micros(ours.Percentile(99))} | {CpuMicros(ours.BenchCpuPerCall)} | {CpuMicros(ours.SidecarCpuPerCall)} (sidecar) | yes |"));
        }

        md.AppendLine();
        md.AppendLine("h2load's latencies come from its `--log-file` (stream start to end of response); redis-benchmark's from its own histogram. Driver CPU is sampled from `/proc` every 50 ms while it runs, so the last ≤ 50 ms may be missing; the server CPU is read around the run. On a shared 2-core machine the CPU the load generator spends per call is taken from the servers, which is what the difference between a C driver's figure and the .NET client's comes from.");
        md.AppendLine();
    }

    private static void RenderLimits(StringBuilder md, FastPathResults results)
    {
        var neutral = SerialLimit.Neutral(results.Drivers);
        var dotNet = SerialLimit.DotNet(results.Saturation, results.Rounds);
        md.AppendLine("| serial limit | no-op RPC req/s | direct Redis GET req/s | limit req/s | Get hit req/s | Get hit / limit (target ≥ 90 %) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (label, limit) in new[] { ("neutral drivers (h2load, redis-benchmark)", neutral), (".NET client (part 2)", dotNet) })
        {
            md.AppendLine(limit.Measured
                ? Inv($"| {label} | {Rate(limit.NoOp)} | {Rate(limit.Redis)} | {Rate(limit.Limit)} | {Rate(limit.Get)} | **{Percent(limit.GetShare)}** {MetOrNot(limit.GetShare.Median, limit.GetShare.Median >= FastPathTargetsReport.GetToSerialLimitTarget)} |")
                : Inv($"| {label} | not measured | | | | |"));
        }

        md.AppendLine();
        md.AppendLine("Each round's limit comes from that round's runs, and so does its Get hit / limit; the table gives the median and range of each column.");
        md.AppendLine();
    }

    private static void RenderVerification(StringBuilder md, NeutralDriverResults drivers)
    {
        var get = drivers.MeasuredGet;
        var noOp = drivers.MeasuredNoOp;
        if (get.Count > 0)
        {
            md.AppendLine(Inv($"Were h2load's answers real gRPC successes? h2load counts HTTP 200, but gRPC reports errors in the `grpc-status` trailer, so the sidecar's `/metrics` is read around each run (its counts include h2load's warm-up). Get hit, per round: {string.Join("; ", get.Select(Verification))}. No-op RPC, per round: {string.Join("; ", noOp.Select(Verification))}. At most `-m` calls may end CANCELLED: h2load resets the streams still open when its duration ends. After each Get run the same key read with the normal gRPC client was {(get.All(r => r.ClientCheck) ? "a cache hit" : "**not always a cache hit**")}. Verdict: {(get.Concat(noOp).All(H2LoadVerified) ? "every h2load request was a successful call (and every Get a cache hit)" : "**not all h2load requests were successful**")}."));
            md.AppendLine();
        }

        if (drivers.MeasuredRedis.Count > 0)
        {
            md.AppendLine(Inv($"redis-benchmark only counts replies, so Redis' own `keyspace_hits` / `keyspace_misses` are read around each run: {string.Join("; ", drivers.MeasuredRedis.Select(r => Inv($"{r.Requests:N0} requests, {r.KeyspaceHits:N0} hits, {r.KeyspaceMisses:N0} misses")))} (a miss would mean a GET found no value; the sidecar's background work may add a few)."));
            md.AppendLine();
        }
    }

    private static string Verification(H2LoadResult h2) =>
        Inv($"{h2.Succeeded:N0} succeeded by h2load, {h2.ServerOkCalls:N0} OK / {h2.ServerCancelledCalls:N0} cancelled / {h2.ServerOtherCalls:N0} other on the server{(double.IsNaN(h2.ServerCacheHits) ? "" : Inv($", {h2.ServerCacheHits:N0} cache hits"))}");

    private static string Cpu<T>(IEnumerable<T> runs, Func<T, TimeSpan?> perCall) =>
        Spread.Of(runs, r => perCall(r)?.TotalMicroseconds ?? double.NaN) is { Measured: true } s ? Inv($"{s.Median:N0}") : "–";
}
