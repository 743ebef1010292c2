using System.Globalization;
using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Reporting;
using CacheSidecar.Client.NearCache;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>Renders the <c>## SDK near cache</c> section (also printed to stdout): context, part 1, §9.</summary>
internal static class SdkNearReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public const string Heading = "## SDK near cache";

    /// <summary>The section body (without the heading).</summary>
    public static string Render(SdkNearOptions options, MachineInfo machine, string redisVersion, string loadAtEnd,
        int minWorkerThreads, SdkNearResults results)
    {
        var md = new StringBuilder();
        RenderContext(md, options, machine, redisVersion, loadAtEnd, minWorkerThreads);
        RenderReads(md, options, results);
        SdkNearInvalidationReport.Render(md, options, results);
        RenderTargets(md, results);
        return md.ToString();
    }

    private static void RenderContext(StringBuilder md, SdkNearOptions options, MachineInfo machine,
        string redisVersion, string loadAtEnd, int minWorkerThreads)
    {
        md.AppendLine(string.Create(Invariant, $"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC"
            + $"{(machine.Commit is null ? "" : $", commit {machine.Commit}")}, {machine.BuildConfiguration} build."));
        md.AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (parameters below the defaults): indicative only. The reference numbers "
                + "come from the default command, "
                + "`dotnet run -c Release --project bench/CacheSidecar.Bench -- sdknear`.");
            md.AppendLine();
        }

        if (!machine.BuildConfiguration.Equals("Release", StringComparison.OrdinalIgnoreCase))
        {
            md.AppendLine("> **Not a Release build**: these numbers say nothing about production performance.");
            md.AppendLine();
        }

        md.AppendLine("```bash");
        md.AppendLine(string.Create(Invariant, $"dotnet run -c {machine.BuildConfiguration} --project "
            + $"bench/CacheSidecar.Bench -- {string.Join(' ', options.RawArguments)}"));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(string.Create(Invariant, $"- Machine: {machine.Cores} cores ({machine.CpuModel}), "
            + $"{machine.OperatingSystem}, {machine.Runtime}. **Everything below shares these {machine.Cores} "
            + $"cores**: this bench process (the application: load generator, SDK and its near cache; also the "
            + $"in-process MongoDB test server), sidecars A and B, and redis-server; the machine is shared with "
            + $"other work too. Load average (1/5/15 min) at start: {machine.LoadAverageAtStart}; at end: "
            + $"{loadAtEnd}."));
        md.AppendLine(string.Create(Invariant, $"- Redis: redis-server {redisVersion} started by the bench on "
            + $"127.0.0.1, no persistence. MongoDB: the in-process `MongoWireServer` test server, not mongod (only "
            + $"the writes of part 2 and the first fill reach it)."));
        md.AppendLine(string.Create(Invariant, $"- Sidecars A and B: {SidecarBuild()}, the image's runtime knobs "
            + $"(Dockerfile `ENV`) applied, both with namespace `{SdkNearRig.Namespace}`: CacheAside (collection "
            + $"`{SdkNearRig.Namespace}`, entry TTL 1 h), "
            + $"`Sidecar__Namespaces__{SdkNearRig.Namespace}__PublishInvalidations=true`, no L1 in the sidecar "
            + $"(the SDK's near cache is the only one)."));
        var defaults = new NearCacheOptions();
        md.AppendLine(string.Create(Invariant, $"- Application: two DI containers in the bench process, "
            + $"`services.AddCacheSidecarClient(o => {{ o.Address = <sidecar A, TCP>; "
            + $"o.NearCaches[\"{SdkNearRig.Namespace}\"] = new NearCacheOptions(); }})` (defaults: "
            + $"{defaults.MaxEntries:N0} entries, {defaults.MaxBytes / Mb:0} MiB, MaxAge "
            + $"{defaults.MaxAge.TotalMinutes:0} min; heartbeat 1 s) and the same without the near cache, each "
            + $"with its own HTTP/2 connection to A. The thread pool's minimum is raised to "
            + $"{minWorkerThreads} workers: near-cache hits complete synchronously, so each closed-loop caller "
            + $"keeps its thread, and without spare threads the stream that keeps the cache coherent would wait "
            + $"for the pool to grow."));
        md.AppendLine();
    }

    private static void RenderReads(StringBuilder md, SdkNearOptions options, SdkNearResults results)
    {
        md.AppendLine("### 1. Hot-key reads from one process (closed loop)");
        md.AppendLine();
        md.AppendLine(string.Create(Invariant, $"One hot key holding the same 1 KB JSON value everywhere "
            + $"(`Payload.JsonValue`; the SDK rows deserialize it into a 6-field record, as an application's "
            + $"`GetAsync<T>` does). N callers, each sending its next read when the previous one returns. After "
            + $"one unrecorded pass over every row ({BenchOptions.WarmUp.TotalSeconds:0} s each at "
            + $"{options.Concurrencies[^1]} caller(s)), {SdkNearOptions.Rounds} rounds, every row at every "
            + $"concurrency once per round, each run {BenchOptions.WarmUp.TotalSeconds:0} s of warm-up and "
            + $"{options.DurationSeconds} s measured. **Every figure is the median of the {SdkNearOptions.Rounds} "
            + $"runs** (ops/s with the lowest–highest beside it); latency seen by the caller (HdrHistogram), in "
            + $"µs. A near-cache read that went to the sidecar, or a sidecar read that was not a Redis hit, counts "
            + $"as an error. Per-call columns (medians, warm-up included): Redis `total_commands_processed` per "
            + $"call (includes the bench's INFO calls and heartbeats: approximate), CPU time (user + system, "
            + $"`/proc/<pid>/stat`) of this process, of sidecar A (rows that call it) and of redis-server. Row "
            + $"(e) only deserializes the same bytes into the record, in this process: the floor under any typed "
            + $"read, so near cache / deserialize alone is the share of a near-cache hit that is the "
            + $"deserialization."));
        md.AppendLine();
        md.AppendLine("| scenario | callers | ops/s (min–max) | p50 µs | p99 µs | errors | Redis cmds/call "
            + "| bench CPU µs/call | sidecar A CPU µs/call | redis CPU µs/call |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.Reads.Where(r => r.Runs.Count > 0))
        {
            var sidecar = row.ThroughSidecar ? CpuMicros(row.SidecarCpuPerCall) : "–";
            var p50 = Fine(row.Percentile(50).Median);
            var p99 = Fine(row.Percentile(99).Median);
            md.AppendLine(string.Create(Invariant, $"| {row.Name} | {row.Concurrency} | {Rate(row.Ops)} | ")
                + string.Create(Invariant, $"{p50} | {p99} | {row.Errors:N0} | {PerCall(row.RedisCommandsPerCall)} | ")
                + $"{CpuMicros(row.BenchCpuPerCall)} | {sidecar} | {CpuMicros(row.RedisCpuPerCall)} |");
        }

        md.AppendLine();
        md.AppendLine("Ratios of ops/s, taken within each round (median, lowest–highest):");
        md.AppendLine();
        foreach (var concurrency in results.Concurrencies)
        {
            Spread Ratio(string a, string b) => results.Ratio(a, b, concurrency);
            var redis = Ratio(ReadScenario.NearCache, ReadScenario.DirectRedis);
            var met = MetOrNot(redis.Median, redis.Median >= SdkNearResults.NearToRedisTarget);
            md.AppendLine(string.Create(Invariant, $"- {concurrency} caller(s): near cache / direct Redis GET = ")
                + string.Create(Invariant, $"**{Times(redis)}** (target ≥ {SdkNearResults.NearToRedisTarget:0}×: ")
                + $"{met}); near cache / direct GET + deserialize = "
                + $"{Times(Ratio(ReadScenario.NearCache, ReadScenario.DirectRedisDeserialized))}; near cache / "
                + "SDK Get without near cache (sidecar) = "
                + $"**{Times(Ratio(ReadScenario.NearCache, ReadScenario.SdkGet))}**; "
                + $"SDK Get / stub Get = {FastPathText.Percent(Ratio(ReadScenario.SdkGet, ReadScenario.StubGet))}; "
                + "SDK Get / direct Redis GET = "
                + $"{FastPathText.Percent(Ratio(ReadScenario.SdkGet, ReadScenario.DirectRedis))}; near cache / "
                + "JSON deserialize alone = "
                + $"{FastPathText.Percent(Ratio(ReadScenario.NearCache, ReadScenario.DeserializeOnly))}.");
        }

        md.AppendLine();
    }

    private static void RenderTargets(StringBuilder md, SdkNearResults results)
    {
        md.AppendLine("### 3. Against DESIGN §9");
        md.AppendLine();
        md.AppendLine("| target | measured | verdict |");
        md.AppendLine("|---|---|---|");
        var ratios = results.Concurrencies
            .Select(c => (Concurrency: c, Ratio: results.Ratio(ReadScenario.NearCache, ReadScenario.DirectRedis, c)))
            .ToList();
        var measured = string.Join("; ", ratios.Select(r =>
            string.Create(Invariant, $"{r.Concurrency} caller(s): {Times(r.Ratio)}")));
        var met = ratios.Count > 0
            && ratios.All(r => r.Ratio.Measured && r.Ratio.Median >= SdkNearResults.NearToRedisTarget);
        md.AppendLine(string.Create(Invariant, $"| SDK near cache hot-key reads ≥ ")
            + string.Create(Invariant, $"{SdkNearResults.NearToRedisTarget:0}× a direct StackExchange.Redis GET ")
            + $"from the same process (at every concurrency) | {measured} (median of the rounds) | {Met(met)} |");

        var (quiet, hot) = (results.Quiet, results.Hot);
        var bound = InvalidationRounds.Bound.TotalMilliseconds;
        var p99 = Math.Max(InvalidationPhase.Percentile(quiet.Drops, 99), InvalidationPhase.Percentile(hot.Drops, 99));
        var max = Math.Max(Max(quiet.Drops), Max(hot.Drops));
        var afterBound = quiet.OldReadsAfterBound + hot.OldReadsAfterBound;
        var afterDrop = quiet.OldReadsAfterDrop + hot.OldReadsAfterDrop;
        var missing = quiet.Missing + hot.Missing;
        var clean = afterBound == 0 && afterDrop == 0 && missing == 0 && p99 / 1000 < bound;
        md.AppendLine(string.Create(Invariant, $"| no read of the old value later than the invalidation bound ")
            + string.Create(Invariant, $"(p99 measured) | bound {bound:N0} ms; drop after the write returned: p99 ")
            + $"{SdkNearInvalidationReport.Ms(p99)} ms (the worse phase), max {SdkNearInvalidationReport.Ms(max)} ms; "
            + string.Create(Invariant, $"reads of the old value later than the bound: {afterBound:N0} (of ")
            + string.Create(Invariant, $"{hot.OldReadsAfterPut:N0} old reads after the write returned), after the ")
            + string.Create(Invariant, $"drop: {afterDrop:N0}; events missing: {missing:N0} | {Met(clean)} |"));
        md.AppendLine();
    }

    /// <summary>µs, with two decimals below 10 µs: near-cache hits take one or two.</summary>
    private static string Fine(double micros) => micros < 10
        ? string.Create(Invariant, $"{micros:F2}")
        : ReportText.Micros(micros);

    private static string Times(Spread ratio) => Range(ratio, v => string.Create(Invariant, $"{v:F1}×"));

    private static double Max(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Max();

    private static string SidecarBuild() =>
        Environment.GetEnvironmentVariable("CACHESIDECAR_BENCH_SIDECAR") is { Length: > 0 } published
            ? $"`{published}` (`CACHESIDECAR_BENCH_SIDECAR`) as child processes"
            : $"the built `CacheSidecar.dll` ({RepositoryPaths.BuildConfiguration}) as child processes";
}
