using System.Globalization;
using System.Text;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>Part 2 of <c>## SDK near cache</c>: the invalidation delay tables and what they rest on.</summary>
internal static class SdkNearInvalidationReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Render(StringBuilder md, SdkNearOptions options, SdkNearResults results)
    {
        md.AppendLine("### 2. Invalidation delay: a write through sidecar B, the near cache fed by sidecar A");
        md.AppendLine();
        md.AppendLine(string.Create(Invariant, $"{options.Invalidations:N0} writes per phase over "
            + $"{InvalidationRounds.KeyCount} keys. Per write: the application reads the key through the near-cache "
            + $"SDK until memory answers it; then \"another service\" Puts a new value (its number in the JSON) "
            + $"through sidecar B with a plain generated gRPC client. **Drop** = the moment the SDK removed the key: "
            + $"it adds to its counter `{InvalidationProbe.InvalidatedKeys}` right after removing the keys of a "
            + $"KEYS event, and a `MeterListener` timestamps that measurement, so nothing polls and nothing is read. "
            + $"Timed from B's Put returning to the writer and, never negative, from the Put being sent; a negative "
            + $"drop after the Put returned means the key was gone before B's answer reached the writer (B publishes "
            + $"the invalidation before it answers). **Quiet**: nothing else runs; after the drop one read must "
            + $"return the new value. **Hot reader**: a caller reads the key back to back (near-cache hits, then "
            + $"sidecar reads) from before the Put until it sees the new value; every read that returned the old "
            + $"value and ended after B's Put returned is counted, with the time of the last one. **First new "
            + $"read** = end of the first read that returned the new value: an upper bound of the delay that "
            + $"includes one read, the measure of the process-level test. Nearest-rank percentiles, in ms."));
        md.AppendLine();
        md.AppendLine("| phase | writes | B's Put p50 / p99 | drop after the Put was sent p50 / p99 / max "
            + $"| drop after the Put returned p50 / p99 / max | dropped before the Put returned "
            + $"| first new read after the Put returned p50 / p99 / max |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var phase in new[] { results.Quiet, results.Hot })
        {
            md.AppendLine(string.Create(Invariant, $"| {phase.Name} | {phase.Writes:N0} | ")
                + $"{Ms(Pct(phase.Puts, 50))} / {Ms(Pct(phase.Puts, 99))} | {Triple(phase.DropsFromSent)} | "
                + string.Create(Invariant, $"{Triple(phase.Drops)} | {phase.DroppedBeforePutReturned:N0} | ")
                + $"{Triple(phase.NewReads)} |");
        }

        md.AppendLine();
        md.AppendLine("| phase | events missing | reads of the old value after the Put returned (writes with any) "
            + $"| last of them, ms after the Put returned | old reads that started after the drop "
            + $"| old reads later than the bound |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var phase in new[] { results.Quiet, results.Hot })
        {
            var oldReads = phase.HotReader
                ? string.Create(Invariant, $"{phase.OldReadsAfterPut:N0} ({phase.WritesWithOldReadAfterPut:N0})")
                : "– (no reader)";
            md.AppendLine(string.Create(Invariant, $"| {phase.Name} | {phase.Missing:N0} | {oldReads} | ")
                + $"{(phase.HotReader ? Ms(phase.LastOldRead) : "–")} | "
                + string.Create(Invariant, $"{phase.OldReadsAfterDrop:N0} | {phase.OldReadsAfterBound:N0} |"));
        }

        md.AppendLine();
        RenderNotes(md, results);
    }

    /// <summary>µs as ms with 3 decimals (negative: before the reference); "–" when not measured.</summary>
    public static string Ms(double micros) =>
        double.IsNaN(micros) ? "–" : string.Create(Invariant, $"{micros / 1000:F3}");

    private static void RenderNotes(StringBuilder md, SdkNearResults results)
    {
        md.AppendLine(string.Create(Invariant, $"- **Bound: {InvalidationRounds.Bound.TotalMilliseconds:N0} ms**, "
            + $"the SDK's stated one: its default heartbeat is 1 s and a stream silent for two intervals is declared "
            + $"dead, which clears the near cache and bypasses it until the stream is back. Normal delivery is one "
            + $"Redis pub/sub message to A plus one stream message to the SDK. A read of the old value later than "
            + $"the bound would break the promise (must be 0), and so would a read that started after the drop and "
            + $"still returned the old value (a racing read storing the old value back; must be 0)."));
        var clears = results.Clears;
        md.AppendLine(string.Create(Invariant, $"- Keys the SDK dropped on KEYS events during part 2: "
            + $"{results.KeysEvents:N0}, for {results.Quiet.Writes + results.Hot.Writes:N0} writes."));
        md.AppendLine($"- Whole near-cache clears, by reason (SDK: `{InvalidationProbe.Clears}`; sidecar A: "
            + $"`{ClearCounts.SidecarMetric}`). SDK until it first served: {ClearCounts.Describe(clears.AtStart)} "
            + "(a stream that opens before A follows the namespace gets RESET, then SYNCED). During part 1: SDK "
            + $"{ClearCounts.Describe(clears.DuringReads)}, sidecar A "
            + $"{ClearCounts.Describe(clears.SidecarDuringReads)}. "
            + $"During part 2: SDK {ClearCounts.Describe(clears.DuringInvalidations)}, sidecar A "
            + $"{ClearCounts.Describe(clears.SidecarDuringInvalidations)}. A sidecar that clears tells its watchers "
            + "RESET then SYNCED, and the SDK drops its whole near cache (safe: the next reads refill it). `behind` "
            + "is A's once-a-second check finding Redis' invalidation counter ahead of the messages it has "
            + "applied; while writes arrive every few ms, a message still on its way looks the same to that check."
            + (clears.Unexplained ? " **Some of the SDK's clears are not explained by sidecar A's.**" : ""));
        var neverNew = results.Quiet.NeverReadNew + results.Hot.NeverReadNew;
        if (neverNew > 0)
        {
            md.AppendLine(string.Create(Invariant,
                $"- Writes whose new value no read returned within the bound + 2 s: {neverNew:N0}."));
        }

        md.AppendLine();
    }

    private static string Triple(IReadOnlyList<double> values) =>
        values.Count == 0 ? "–" : $"{Ms(Pct(values, 50))} / {Ms(Pct(values, 99))} / {Ms(values.Max())}";

    private static double Pct(IReadOnlyList<double> values, double percentile) =>
        InvalidationPhase.Percentile(values, percentile);
}
