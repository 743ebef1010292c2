using System.Diagnostics;
using System.Text;
using CacheSidecar.Bench.ChangeStream;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using HdrHistogram;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Change-stream lag</c> section (also printed to stdout) of one changestream run.</summary>
internal static class ChangeStreamReport
{
    public const string Heading = "## Change-stream lag";

    /// <summary>The section body (without the heading).</summary>
    public static string Render(
        BenchOptions options, MachineInfo machine, string loadAverageAtEnd, ChangeStreamResults results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        RenderContext(md, options, machine, results.RedisVersion, loadAverageAtEnd, "changestream",
            "it is also the change stream's source (an awaiting getMore is answered as soon as a write commits).");
        RenderSetUp(md, options, results);
        RenderBaselines(md, results.Baselines);
        RenderEndToEnd(md, results);
        RenderWatcher(md, results);
        RenderHowToRead(md, results);
        var problems = Incomplete(results).ToList();
        if (problems.Count > 0)
        {
            md.AppendLine("**Incomplete run** (exit code 3):");
            md.AppendLine();
            foreach (var problem in problems)
            {
                md.AppendLine($"- {problem}");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    /// <summary>What was not measured or had errors; empty for a complete run (exit code 0).</summary>
    public static IEnumerable<string> Incomplete(ChangeStreamResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var baseline in results.Baselines.All.Where(b => b.Errors + b.Unexpected > 0))
        {
            yield return $"baseline {baseline.Name}: {baseline.Errors + baseline.Unexpected:N0} errors; "
                + $"first: {baseline.FirstProblem}";
        }

        foreach (var rate in results.Rates)
        {
            var at = Inv($"{rate.TargetRate:N0} writes/s");
            if (rate.Writes.Errors > 0)
            {
                yield return $"{at}: {rate.Writes.Errors:N0} writes failed; first: {rate.Writes.FirstProblem}";
            }

            if (!rate.Writes.KeptUp)
            {
                yield return Inv($"{at}: the writer did not keep up (achieved {rate.Writes.AchievedRate:N0}/s)");
            }

            if (rate.Probes.Errors > 0)
            {
                yield return $"{at}: {rate.Probes.Errors:N0} samples failed; first: {rate.Probes.FirstProblem}";
            }

            if (rate.Probes.Seen == 0)
            {
                yield return $"{at}: no sampled write was measured end to end";
            }

            if (!rate.Watcher.Found)
            {
                yield return $"{at}: {ChangeStreamMetricNames.LagBucket} not found on the sidecar's /metrics";
            }

            if (rate.DrainedAfter is null)
            {
                yield return $"{at}: the watcher was still applying changes 30 s after the last write";
            }
        }
    }

    private static void RenderSetUp(StringBuilder md, BenchOptions options, ChangeStreamResults results)
    {
        Paragraph(md, Inv($"One sidecar. Namespace `{BenchNamespaces.ChangeStreamLag}`: CacheAside over ")
            + Inv($"collection `{BenchNamespaces.ChangeStreamLag}`, `Invalidation: ChangeStream`, watcher settings at ")
            + "the build's defaults (LeasePeriod 10 s, MaxAwaitTime 500 ms, BatchSize 500). The watcher was "
            + "following the stream "
            + Inv($"(its resume token in Redis) {results.WatcherReadyAfter.TotalMilliseconds:N0} ms after the sidecar ")
            + Inv($"served; then {results.Keys:N0} documents (the 1 KB JSON value) were Put through the sidecar and ")
            + "read until each Get was a cache hit.");
        Paragraph(md, "The external writer is another service: a plain `MongoClient` doing "
            + "`UpdateOne({_id: key}, {$set: {n: i}})` (`i` unique over the run), never through the sidecar. "
            + Inv($"Open loop: write *i* is due at start + *i*/rate and sent when due ({OpenLoopLoad.MaxInFlight} ")
            + Inv($"in flight at most), {BenchOptions.WarmUp.TotalSeconds:0} s of warm-up (not sampled), then ")
            + Inv($"{options.DurationSeconds} s measured per rate. {ChangeStreamCommand.SamplesPerSecond} writes a ")
            + Inv($"second are sampled at every rate: they go, in turn, to a pool of {results.PoolSize:N0} keys no ")
            + "other write touches (each confirmed cached with its current value before it is sampled again); "
            + "every other write goes to a random key of the rest.");
    }

    private static void RenderBaselines(StringBuilder md, LagBaselines baselines)
    {
        md.AppendLine("### Baselines (same run, measured alone)");
        md.AppendLine();
        Paragraph(md, "One caller, one call at a time, before the writers start (watcher idle); latency in µs "
            + Inv($"(HdrHistogram). {BaselineBenchmark.WarmUpCalls} calls of warm-up each (the miss: a tenth of ")
            + "the keys). The UpdateOne writes a collection no watcher follows; the miss reads documents inserted "
            + Inv($"straight into MongoDB for namespace `{BenchNamespaces.ChangeStreamBaseline}`, each once."));
        md.AppendLine("| round trip | calls | p50 µs | p99 µs | max µs | errors |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var b in baselines.All)
        {
            md.AppendLine(Inv($"| {b.Name} | {b.Operations:N0} | {Micros(b.PercentileMicroseconds(50))} | ")
                + Inv($"{Micros(b.PercentileMicroseconds(99))} | {Micros(b.MaxMicroseconds)} | ")
                + Inv($"{b.Errors + b.Unexpected:N0} |"));
        }

        md.AppendLine();
    }

    private static void RenderEndToEnd(StringBuilder md, ChangeStreamResults results)
    {
        md.AppendLine("### End to end: until the sidecar stops serving the old value (measured from outside)");
        md.AppendLine();
        Paragraph(md, "For each sampled write, from the return of its UpdateOne (the commit is acknowledged) the "
            + "sidecar's `Get` of that key is sent back to back until one returns the new value; the lag ends when "
            + "that Get returns. **Old reads**: Gets in between that still returned the old value (and in how many "
            + "samples there was at least one). UpdateOne latency is the writer's, from each write's intended send "
            + "time. **Last Get**: the round trip of the Get that returned the new value (a miss that read the "
            + "store), which every lag includes. Lags in µs (HdrHistogram).");
        md.AppendLine("| target writes/s | achieved/s | writes | UpdateOne p50 / p99 µs | sampled | lag p50 µs | "
            + "lag p99 µs | lag max µs | last Get p50 / p99 µs | old reads (samples) | poll Gets/s | errors |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var rate in results.Rates)
        {
            var p = rate.Probes;
            var writes = rate.Writes;
            md.AppendLine(Inv($"| {rate.TargetRate:N0} | {writes.AchievedRate:N0} | {writes.Measured:N0} | ")
                + Inv($"{Micros(writes.PercentileMicroseconds(50))} / {Micros(writes.PercentileMicroseconds(99))} | ")
                + Inv($"{p.Seen:N0} of {p.Seen + p.Errors:N0} (every {rate.SampleEvery}th) | ")
                + Inv($"{Lag(p.Lags, 50)} | {Lag(p.Lags, 99)} | {Lag(p.Lags, 100)} | ")
                + Inv($"{Lag(p.FinalGets, 50)} / {Lag(p.FinalGets, 99)} | ")
                + Inv($"{p.OldReads:N0} ({p.SamplesWithOldReads:N0}) | ")
                + Inv($"{p.Gets / writes.Window.TotalSeconds:N0} | {rate.Errors:N0} |"));
        }

        md.AppendLine();
        var notes = results.Rates
            .Where(r => r.Probes.Skipped + r.Probes.NewFromCache + r.Probes.NotRearmed > 0)
            .Select(r => Inv($"{r.TargetRate:N0}/s: {r.Probes.Skipped:N0} writes due for sampling found their pool ")
                + Inv($"key still busy and went to an unsampled key; {r.Probes.NewFromCache:N0} first new reads ")
                + Inv($"came from the cache; {r.Probes.NotRearmed:N0} keys could not be confirmed cached again"))
            .ToList();
        foreach (var note in notes)
        {
            md.AppendLine($"- {note}.");
        }

        if (notes.Count > 0)
        {
            md.AppendLine();
        }
    }

    private static void RenderWatcher(StringBuilder md, ChangeStreamResults results)
    {
        md.AppendLine("### The watcher's own lag (`cachesidecar.changestream.lag`, from `/metrics`)");
        md.AppendLine();
        Paragraph(md, "From the change's commit time (`wallTime`) to its invalidation applied in Redis, as the "
            + "sidecar records it: the difference of two scrapes around each measured window (after the watcher had "
            + "caught up), so the warm-up is not in it. The histogram only has buckets (1, 2.5, 5, 10, 25, 50, 100, "
            + "250, 500 ms, 1 s, …): p50 and p99 are the upper bounds of the buckets they fall in. **changes**: "
            + "`cachesidecar.changestream.changes` by outcome.");
        md.AppendLine("| target writes/s | lags recorded | p50 ≤ ms | p99 ≤ ms | mean ms | invalidated | skipped | "
            + "watching | load average after |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var rate in results.Rates)
        {
            var w = rate.Watcher;
            md.AppendLine(Inv($"| {rate.TargetRate:N0} | {w.LagCount:N0} | {Bound(w.PercentileUpperBound(50))} | ")
                + Inv($"{Bound(w.PercentileUpperBound(99))} | {Ms(w.MeanSeconds)} | {w.Invalidated:N0} | ")
                + Inv($"{w.Skipped:N0} | {(w.Watching is { } g ? Inv($"{g:0}") : "–")} | {rate.LoadAverage} |"));
        }

        md.AppendLine();
        md.AppendLine("Lags per bucket (count of lags ≤ each bound, non-empty buckets only):");
        md.AppendLine();
        foreach (var rate in results.Rates)
        {
            md.AppendLine(Inv($"- {rate.TargetRate:N0}/s: {Distribution(rate.Watcher)}"));
        }

        md.AppendLine();
        if (results.WatcherLog.Count > 0)
        {
            md.AppendLine("The sidecar's log lines about the watcher (its last 200 lines of output kept):");
            md.AppendLine();
            md.AppendLine("```text");
            foreach (var line in results.WatcherLog.Take(20))
            {
                md.AppendLine(line);
            }

            md.AppendLine("```");
            md.AppendLine();
        }
    }

    private static void RenderHowToRead(StringBuilder md, ChangeStreamResults results)
    {
        var hit = results.Baselines.GetHit.PercentileMicroseconds(50);
        var miss = results.Baselines.GetMiss.PercentileMicroseconds(50);
        md.AppendLine("### How to read it");
        md.AppendLine();
        Item(md, "**The end-to-end lag is what a client sees**: for how long after another service's write was "
            + "acknowledged a read through the sidecar could still return the overwritten value. It includes the "
            + "read that measures it: the Get that returns the new value is a miss that reads the store and fills "
            + "the cache "
            + Inv($"(its own round trip is the last-Get column; a miss alone: p50 {Micros(miss)} µs, a hit alone: ")
            + Inv($"p50 {Micros(hit)} µs). So the outside measure cannot resolve a watcher faster than one Get: ")
            + NoOldReads(results) + " of the samples saw no old read at all, the invalidation being in place "
            + "before the first Get after the write reached the cache.");
        Item(md, "**The watcher's lag** runs from the commit (`wallTime`: whole milliseconds on this server, so up "
            + "to 1 ms long) to the `DEL` done in Redis, once per changed key per batch. It is the figure to watch in "
            + "production (`cachesidecar_changestream_lag_seconds`).");
        Item(md, "**Old reads** are the stale window made visible: Gets answered from the cache with the "
            + "overwritten value after the write was acknowledged. A sample with none had its invalidation land "
            + "before its first Get.");
        Item(md, "**MaxAwaitTime (500 ms) is not a floor**: an awaiting getMore is answered as soon as a write "
            + "commits, so it only bounds how long an idle stream waits. What grows with the write rate is the work "
            + "per batch (one Lua call per changed key, all awaited before any is recorded, then a token save; no "
            + "L1 publish here, the namespace has no near-cache) and the competition for the cores between writer, "
            + "test server, sidecar and redis-server: a stall of the machine delays every change committed during "
            + "it, so one stall at 1,000/s puts hundreds of lags in the same high bucket. Read the load average "
            + "column, and the last-Get column (a stall slows the measuring Get too), before reading a spike.");
        Item(md, "**Against mongod** a change stream only returns majority-committed changes, so a replica set's "
            + "replication delay comes on top; the test server commits and streams at once, which isolates the "
            + "sidecar's share.");
        Item(md, "**invalidated / skipped**: external writes carry no sidecar version, so every one invalidates "
            + "(the `DEL` is unconditional, cached or not); skipped is only for the sidecar's own versioned writes, "
            + "of which there are none in the measured windows. Fewer lags than writes: a key changed twice in one "
            + "batch is applied once.");
        md.AppendLine();
    }

    /// <summary>
    /// Appends <paramref name="text"/> wrapped at 100 columns, as the hand-written parts of the file are
    /// (it is read as text too); a paragraph (no prefix) ends with a blank line, a list item does not.
    /// </summary>
    private static void Paragraph(StringBuilder md, string text, string first = "", string rest = "")
    {
        const int Width = 100;
        var line = new StringBuilder(first);
        var empty = true;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                md.AppendLine(line.ToString());
                line.Clear().Append(rest);
                empty = true;
            }

            line.Append(empty ? "" : " ").Append(word);
            empty = false;
        }

        md.AppendLine(line.ToString());
        if (first.Length == 0)
        {
            md.AppendLine();
        }
    }

    /// <summary>"at 100/s 97% and at 1,000/s 35%": the share of samples without an old read, per rate.</summary>
    private static string NoOldReads(ChangeStreamResults results) =>
        "at " + string.Join(" and at ", results.Rates.Select(rate => Inv($"{rate.TargetRate:N0}/s ")
            + Percent(rate.Probes.Seen == 0
                ? double.NaN
                : (double)(rate.Probes.Seen - rate.Probes.SamplesWithOldReads) / rate.Probes.Seen)));

    private static void Item(StringBuilder md, string text) => Paragraph(md, text, "- ", "  ");

    private static string Lag(LongHistogram ticks, double percentile) =>
        ticks.TotalCount == 0 ? "–" : Micros(ticks.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency);

    private static string Bound(double seconds) => double.IsNaN(seconds)
        ? "–"
        : double.IsPositiveInfinity(seconds) ? "> 30 s" : Inv($"{seconds * 1000:0.##}");

    private static string Ms(double seconds) => double.IsNaN(seconds) ? "–" : Inv($"{seconds * 1000:0.00}");

    private static string Distribution(WatcherSnapshot watcher)
    {
        var parts = new List<string>();
        var previous = 0.0;
        foreach (var (upperBound, cumulative) in watcher.Buckets)
        {
            var count = cumulative - previous;
            previous = cumulative;
            if (count > 0)
            {
                parts.Add(double.IsPositiveInfinity(upperBound)
                    ? Inv($"> 30 s: {count:N0}")
                    : Inv($"≤ {Bound(upperBound)} ms: {count:N0}"));
            }
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
