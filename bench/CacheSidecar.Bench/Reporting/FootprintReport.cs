using System.Text;
using CacheSidecar.Bench.Footprint;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Footprint, lever by lever</c> section (also printed to stdout) of one footprint run.</summary>
internal static class FootprintReport
{
    public const string Heading = "## Footprint, lever by lever";

    private const double MiB = 1024 * 1024;

    /// <summary>The section body (without the heading).</summary>
    public static string Render(BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd, FootprintResults results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        RenderContext(md, options, machine, redisVersion, loadAverageAtEnd, results);
        RenderMethod(md, options);
        RenderLevers(md, options, results);
        RenderRuntime(md, results);
        RenderBuilds(md, results);
        RenderBlockers(md, results);
        return md.ToString();
    }

    private static void RenderContext(StringBuilder md, BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd, FootprintResults results)
    {
        md.AppendLine(Inv($"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC{(machine.Commit is null ? "" : $", commit {machine.Commit}")}; the whole run took {results.Elapsed.TotalMinutes:F1} min, builds included."));
        md.AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (fewer levers, or parameters below the defaults): indicative only. The reference numbers come from the default command,");
            md.AppendLine("> `dotnet run -c Release --project bench/CacheSidecar.Bench -- footprint`.");
            md.AppendLine();
        }

        md.AppendLine("```bash");
        md.AppendLine(Command(options, machine.BuildConfiguration));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(Inv($"- Machine: {machine.Cores} cores ({machine.CpuModel}), {machine.OperatingSystem}; shared runtime {machine.Runtime} (what the framework-dependent rows run on); SDK {results.SdkVersion} published every row."));
        md.AppendLine(Inv($"- Load average (1/5/15 min) at start: {machine.LoadAverageAtStart}; at end: {loadAverageAtEnd}. The bench process (load generator, MongoDB test server), the sidecar and redis-server share these cores; the builds ran between the measurements, never during one."));
        md.AppendLine(Inv($"- Redis: redis-server {redisVersion} started by the bench on 127.0.0.1, no persistence. MongoDB: the in-process `MongoWireServer` **test server**, not mongod: each row's prefill writes the {LeverMeasurement.GetKeyCount:N0} keys to it once; no measured call reaches it."));
        md.AppendLine();
    }

    private static void RenderMethod(StringBuilder md, BenchOptions options)
    {
        md.AppendLine("Each row is the baseline with **one** change, or one of the combinations that could ship (the `combo-…` rows; the image ships `combo-ws` as ENV, decision 0020). The baseline is the Dockerfile's publish without those ENV knobs (`dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 --self-contained false -p:UseAppHost=false -p:PublishReadyToRun=true`), with the GC settings of `src/Sidecar/Sidecar.csproj` (workstation, non-concurrent) and TieredPGO on. Runtime-knob rows run that same publish with environment variables (values as the runtime reads them: numbers in hex); publish rows are built by the bench into a temporary directory (`--artifacts-path`, so the repository's `obj/` is not touched), measured and deleted. Every publish but the baseline gets `-p:TreatWarningsAsErrors=false`: the repository's warnings-as-errors would stop a trimmed or AOT build at its first warning, and the warnings are what the last table counts.");
        md.AppendLine();
        md.AppendLine(Inv($"- **Start-to-ready**: from just before `Process.Start` (`dotnet CacheSidecar.dll`, or the native executable of a self-contained or AOT publish) to the first gRPC health `SERVING` (polled every 10 ms), with Redis, MongoDB and one CacheAside namespace configured; {options.Starts} fresh starts one after another, the median reported."));
        md.AppendLine(Inv($"- **Memory**: the last start is kept; {LeverMeasurement.GetKeyCount:N0} keys of the 1 KB JSON value are written and read through it once, then it takes Get hits at {LeverMeasurement.Rate:N0} req/s open loop ({BenchOptions.WarmUp.TotalSeconds:0} s warm-up + {options.DurationSeconds} s measured; every answer must be `found`, `source = CACHE`, 1,024 bytes). `/proc/<pid>/smaps_rollup` is read {LeverMeasurement.MemorySampleCount} times, {LeverMeasurement.SampleInterval.TotalMilliseconds:0} ms apart, over the last seconds of that load; each figure is the median of its samples. **RSS** = `Rss`; **private** = `Private_Clean + Private_Dirty`; **anonymous** = `Anonymous` (GC heap, native heap, stacks). Private dirty is anonymous memory plus the JIT-compiled code (a shared memfd, so `RssShmem`, shown in the second table); private clean is file pages no other process maps at that moment, so it shrinks when other .NET processes on the machine run the same runtime files and grows for a self-contained app that carries its own."));
        md.AppendLine(Inv($"- **Core API** (notes): after the load, one key through {CoreApiCheck.Calls}, each answer checked; \"core API served\" when all answered as expected, else the first call that did not."));
        md.AppendLine("- **Size**: the publish directory without symbol files (`.pdb`, `.dbg`), which an image would leave out; runtime-knob rows ship the baseline publish. A framework-dependent publish also needs the ASP.NET Core runtime of its base image (`mcr.microsoft.com/dotnet/aspnet`), which a self-contained or AOT publish carries itself.");
        md.AppendLine(Inv($"- **p50/p99**: latency of the Get hits in the measured window, from each call's intended send time (no coordinated omission), in µs."));
        md.AppendLine();
    }

    private static void RenderLevers(StringBuilder md, BenchOptions options, FootprintResults results)
    {
        var baseline = results.Baseline;
        md.AppendLine(Inv($"| lever | how applied | start-to-ready ms (median of {options.Starts}) | RSS MB | private MB | anonymous MB | size MB | p50/p99 µs at {LeverMeasurement.Rate:N0} req/s | notes |"));
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in results.Rows)
        {
            var isBaseline = ReferenceEquals(row, baseline);
            var start = row.MedianStart is { } s
                ? Inv($"{s.TotalMilliseconds:N0}") + (isBaseline || baseline?.MedianStart is not { } b ? "" : Inv($" ({Signed(s.TotalMilliseconds - b.TotalMilliseconds)})"))
                : "–";
            var memory = row.Memory;
            var size = row.Publish.Succeeded ? Inv($"{row.Publish.ShippedBytes / MiB:F1}") : "–";
            var latency = row.Load is { Measured: > 0 } load ? Inv($"{Micros(load.PercentileMicroseconds(50))} / {Micros(load.PercentileMicroseconds(99))}") : "–";
            md.AppendLine(Inv($"| {(isBaseline ? $"**{row.Lever.Label}**" : row.Lever.Label)} | {row.Lever.HowApplied} | {start} | {Mb(memory?.Rss, baseline?.Memory?.Rss, isBaseline)} | {Mb(memory?.Private, baseline?.Memory?.Private, isBaseline)} | {Mb(memory?.Anonymous, baseline?.Memory?.Anonymous, isBaseline)} | {size} | {latency} | {Notes(row, isBaseline)} |"));
        }

        md.AppendLine();
        md.AppendLine("In parentheses: the difference from the baseline row of this run. A row without numbers did not build or did not start; its notes say why (the first error line).");
        md.AppendLine();
        md.AppendLine("Each row is one measurement, the rows one after another in table order (the baseline first, right after its own build). How far apart two rows must be to differ: between two collections the anonymous memory grows by the gen0 budget, tens of MB at this rate with a handful of gen0 GCs in the whole load (second table), and the samples cover about one such cycle, so memory differences of about 10 MB between GC rows are within one row's noise. Start-to-ready differences are only meaningful beyond the spread of a row's three starts (second table), a few hundred ms on this shared machine.");
        md.AppendLine();
    }

    private static void RenderRuntime(StringBuilder md, FootprintResults results)
    {
        md.AppendLine(Inv($"### What the runtime did under the load"));
        md.AppendLine();
        md.AppendLine("From the sidecar's own `/metrics` (OpenTelemetry runtime instrumentation) read before and after the measured load, and its thread names in `/proc/<pid>/task/*/comm`: how a row shows its knob took effect.");
        md.AppendLine();
        md.AppendLine("| lever | starts ms (each) | GCs gen0 / gen1 / gen2 during the load | GC pause ms | GC committed MB at end | JIT code (shmem) MB | methods JIT-compiled since start | JIT time ms | GC threads |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in results.Rows)
        {
            var starts = row.Starts.Count == 0 ? "–" : string.Join(", ", row.Starts.Select(s => Inv($"{s.TotalMilliseconds:N0}")));
            var r = row.Runtime;
            var gcs = r is null ? "–" : Inv($"{Count(r.Gen0)} / {Count(r.Gen1)} / {Count(r.Gen2)}");
            md.AppendLine(Inv($"| {row.Lever.Label} | {starts} | {gcs} | {Number(r?.PauseMilliseconds, "F0")} | {Number(r?.CommittedBytes / MiB, "F1")} | {Number(row.Memory?.Shmem / MiB, "F1")} | {Number(r?.JitMethods, "N0")} | {Number(r?.JitMilliseconds, "N0")} | {r?.GcThreads ?? "–"} |"));
        }

        md.AppendLine();
        md.AppendLine("Workstation non-concurrent GC runs collections on the allocating thread, so it has no GC thread of its own; `.NET BGC` appears at the first background collection of a concurrent GC.");
        md.AppendLine();
    }

    private static void RenderBuilds(StringBuilder md, FootprintResults results)
    {
        md.AppendLine("### Publish builds");
        md.AppendLine();
        md.AppendLine("| variant | `dotnet publish src/Sidecar/Sidecar.csproj …` | result | build s | warnings | size MB | symbols MB | started as |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---|");
        foreach (var publish in results.Publishes)
        {
            var result = publish.Succeeded ? "built" : $"**build failed**: `{Cell(publish.FirstError ?? "")}`";
            var size = publish.Succeeded ? Inv($"{publish.ShippedBytes / MiB:F1}") : "–";
            var symbols = publish.Succeeded ? Inv($"{publish.SymbolBytes / MiB:F1}") : "–";
            md.AppendLine(Inv($"| {publish.Variant.Key} | `{publish.Variant.CommandLine}` | {result} | {publish.Elapsed.TotalSeconds:F0} | {publish.Warnings.Count} | {size} | {symbols} | {(publish.Succeeded ? $"`{publish.StartedAs}`" : "–")} |"));
        }

        md.AppendLine();
        md.AppendLine("Build time is wall-clock on this machine with the NuGet packages already in the local cache, each variant from scratch (its own `obj/`), build servers off.");
        md.AppendLine();
    }

    private static void RenderBlockers(StringBuilder md, FootprintResults results)
    {
        md.AppendLine("### Trim and AOT warnings by assembly (the blockers)");
        md.AppendLine();
        var variants = results.Publishes.Where(p => !p.Variant.IsBaseline && p.Warnings.Count > 0).ToList();
        if (variants.Count == 0)
        {
            md.AppendLine("No publish of this run produced a warning.");
            md.AppendLine();
            return;
        }

        md.AppendLine("Each cell: the warning codes that publish gave for that assembly, with their count. ILLink (trimming) and ILC (Native AOT) analyse every package but, by default (`TrimmerSingleWarn`), summarise a package's warnings as one **IL2104** (\"produced trim warnings\") or **IL3053** (\"produced AOT analysis warnings\") per assembly; warnings in our own code are shown in full, once by the compiler's analyzer and once by ILLink/ILC. Built with the repository's `TreatWarningsAsErrors`, each of these is an error, and the first (the analyzer's, in our own code) stops the build.");
        md.AppendLine();
        md.AppendLine($"| assembly | {string.Join(" | ", variants.Select(v => $"`{v.Variant.Key}`"))} | first warning |");
        md.AppendLine($"|---|{string.Concat(variants.Select(_ => "---|"))}---|");
        var assemblies = variants.SelectMany(v => v.Warnings).Select(w => w.Assembly).Distinct(StringComparer.Ordinal)
            .OrderBy(a => a == BuildWarning.OwnCode ? 0 : 1).ThenBy(a => a, StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            var cells = variants.Select(v => CodesOf(v.Warnings.Where(w => w.Assembly == assembly)));
            // ILLink's and ILC's text names the member (the analyzer's only has the file and line).
            var ofAssembly = variants.SelectMany(v => v.Warnings).Where(w => w.Assembly == assembly).ToList();
            var first = ofAssembly.FirstOrDefault(w => w.Tool == "publish") ?? ofAssembly[0];
            var text = ofAssembly.All(w => w.Code is "IL2104" or "IL3053")
                ? "the per-assembly summary only (`-p:TrimmerSingleWarn=false` lists each warning)"
                : $"{first.Code}: {Cell(FootprintBenchmark.Shorten(first.Message, 220))}";
            md.AppendLine($"| {assembly} | {string.Join(" | ", cells)} | {text} |");
        }

        md.AppendLine();
        var notServing = results.Rows.Where(r => r.Lever.IsPublishLever && r.Publish.Succeeded && r.Problem is not null && r.Load is null).ToList();
        foreach (var row in notServing)
        {
            md.AppendLine(Inv($"- `{row.Lever.Key}` built but did not serve: {Cell(row.Problem!)}"));
        }

        if (notServing.Count > 0)
        {
            md.AppendLine();
        }
    }

    private static string Notes(LeverResult row, bool isBaseline)
    {
        var notes = new List<string>();
        if (row.Problem is not null)
        {
            notes.Add($"**{Cell(FootprintBenchmark.Shorten(row.Problem, 200))}**");
        }

        if (isBaseline)
        {
            notes.Add("the image's publish, without its runtime knobs");
        }

        if (row.Lever.IsPublishLever && row.Publish.Succeeded)
        {
            notes.Add(Inv($"{row.Publish.Warnings.Count} build warnings; `{row.Publish.StartedAs}`"));
        }

        if (row.Load is { } load && !load.KeptUp && row.Problem is null)
        {
            notes.Add("did not keep up with the rate");
        }

        if (row.CoreApiChecked)
        {
            notes.Add(row.CoreApiFailure is { } failure ? $"**core API: {Cell(failure)}**" : "core API served");
        }

        return notes.Count == 0 ? "" : string.Join("; ", notes);
    }

    private static string CodesOf(IEnumerable<BuildWarning> warnings)
    {
        var codes = warnings.GroupBy(w => w.Code, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.Key : Inv($"{g.Key} ×{g.Count()}")).ToList();
        return codes.Count == 0 ? "–" : string.Join(", ", codes);
    }

    private static string Mb(long? bytes, long? baselineBytes, bool isBaseline)
    {
        if (bytes is not { } value)
        {
            return "–";
        }

        var text = Inv($"{value / MiB:F1}");
        return isBaseline || baselineBytes is not { } b ? text : Inv($"{text} ({Signed((value - b) / MiB, "F1")})");
    }

    /// <summary>A difference with its sign either way (U+2212 for minus).</summary>
    private static string Signed(double value, string format = "N0")
    {
        var magnitude = Math.Abs(value).ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        return magnitude.Trim('0', '.', ',').Length == 0 ? "±0" : (value < 0 ? "−" : "+") + magnitude;
    }

    private static string Count(double? value) => value is { } v ? Inv($"{v:N0}") : "–";

    private static string Number(double? value, string format) =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "–";

    /// <summary>Text that cannot break a table row: no pipes, no line breaks.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
}
