using System.Text;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Load;
using static CacheSidecar.Bench.Reporting.FastPathText;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Part 3 of <c>## Fast path</c>: latency against offered load, medians of the rounds, and the plot.</summary>
internal static class FastPathSweepReport
{
    public static void Render(StringBuilder md, BenchOptions options, FastPathResults results)
    {
        md.AppendLine("### 3. Latency against offered load (open loop)");
        md.AppendLine();
        md.AppendLine(Inv($"The same open-loop method as part 1, {options.SweepDurationSeconds} s per step after {SweepRounds.WarmUp.TotalSeconds:0} s of warm-up, at {string.Join(", ", options.SweepRates.Select(r => Inv($"{r:N0}")))} req/s, once per round; median of the rounds that reached the step (lowest–highest). A round's series stops at its first step that did not keep up: achieved < {OpenLoopResult.KeepUpShare:P0} of offered, or more than {OpenLoopResult.QueueingShare:P0} of the sends found {OpenLoopLoad.MaxInFlight} calls still in flight (answers slower than arrivals: a queue was building). A step where any round did not keep up is marked ✗ (with how many): past that point the percentiles measure the queue, not the service, and grow with the step's length."));
        md.AppendLine();
        md.AppendLine(results.PlotFile is not null
            ? "![Get latency (p50, p99) against offered load](benchmarks-latency.png)"
            : Inv($"(Plot not written: {results.PlotProblem}.)"));
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
                    : Inv($" {step.Achieved.Median:N0}{Marker(step)} | {Micros(step.Percentile(50))} | {Micros(step.Percentile(99))}{(step.Runs.Any(GeneratorStall) ? " †" : "")} |"));
            }

            md.AppendLine(line.ToString());
        }

        md.AppendLine();
        var stalls = results.Sweep.SelectMany(s => s.Steps).SelectMany(s => s.Runs).Where(GeneratorStall).ToList();
        if (stalls.Count > 0)
        {
            md.AppendLine(Inv($"† In at least one round the pacer itself sent late by as much as that run's p99 ({string.Join("; ", stalls.Select(s => Inv($"{s.Name} at {s.OfferedRate:N0} req/s: send lateness p99 {ReportText.Micros(s.LatenessMicroseconds(99))} µs")))}): the load-generator process (or the whole machine) stalled during that step, so that tail is not the measured path's own; the median of the rounds absorbs one such run."));
            md.AppendLine();
        }

        foreach (var series in results.Sweep)
        {
            var kept = series.Steps.TakeWhile(s => s.KeptUp).ToList();
            md.AppendLine(series.Saturated
                ? Inv($"- {series.Name}: every round kept up to {(kept.Count > 0 ? Inv($"{kept[^1].OfferedRate:N0}") : "no step")} req/s.")
                : Inv($"- {series.Name}: kept up at every step in every round."));
        }

        md.AppendLine();
    }

    private static string Marker(SweepStep step) =>
        step.KeptUp ? ""
        : step.WaitedShare > OpenLoopResult.QueueingShare ? Inv($" ✗ ({step.NotKeptUp} of {step.Runs.Count}; queue: up to {step.WaitedShare:P1} of sends waited)")
        : Inv($" ✗ ({step.NotKeptUp} of {step.Runs.Count})");

    /// <summary>A run that kept up but whose p99 is mostly the pacer's own lateness: a stall of the load generator or the machine.</summary>
    private static bool GeneratorStall(OpenLoopResult step) =>
        step.KeptUp && step.PercentileMicroseconds(99) >= 10_000 && step.LatenessMicroseconds(99) >= 0.5 * step.PercentileMicroseconds(99);
}
