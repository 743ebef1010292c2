using System.Globalization;
using CacheSidecar.Bench.Load;
using ScottPlot;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// docs/benchmarks-latency.png: p50 (solid) and p99 (dashed) latency (medians of the rounds) against offered load, one colour
/// per series, both axes logarithmic. A step that did not keep up is drawn with a cross and no line
/// into it (a step where any round did not keep up): its percentiles measure the queue, not the service.
/// </summary>
internal static class LatencyPlot
{
    private const int Width = 1000;
    private const int Height = 620;

    private static readonly Dictionary<string, (Color Color, string Label)> Styles = new(StringComparer.Ordinal)
    {
        [FastPathScenarios.DirectRedis] = (Color.FromHex("#1f77b4"), "direct Redis GET"),
        [FastPathScenarios.GetHit] = (Color.FromHex("#d62728"), "sidecar Get hit"),
        [FastPathScenarios.NearCacheGet] = (Color.FromHex("#2ca02c"), "sidecar Get, L1 hot keys"),
    };

    /// <summary>Writes the PNG; returns the path, or the reason it could not be drawn (e.g. the native Skia library did not load).</summary>
    public static (string? File, string? Problem) TryWrite(string path, IReadOnlyList<SweepSeries> sweep, BenchOptions options)
    {
        try
        {
            Write(path, sweep, options);
            Console.WriteLine($"Plot: {path}");
            return (path, null);
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.WriteLine($"!! Plot not written: {ex.GetType().Name}: {ex.Message}");
            return (null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private static double Log(double micros) => Math.Log10(Math.Max(1, double.IsNaN(micros) ? 1 : micros));

    private static string Human(double micros) => micros switch
    {
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{micros / 1_000_000:F1} s"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{micros / 1_000:F1} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{micros:F0} µs"),
    };

    private static void Write(string path, IReadOnlyList<SweepSeries> sweep, BenchOptions options)
    {
        var plot = new Plot();

        // The y range follows the steps that kept up; an overloaded step (seconds of queueing) is
        // pinned to the top edge with its value written next to it, so it does not flatten the rest.
        var kept = sweep.SelectMany(s => s.Steps).Where(s => s.KeptUp && s.Measured).ToList();
        var all = sweep.SelectMany(s => s.Steps).Where(s => s.Measured).ToList();
        var basis = kept.Count > 0 ? kept : all;
        var lowest = basis.Count == 0 ? 1 : Math.Floor(basis.Min(s => Log(s.Percentile(50).Median)));
        var highest = basis.Count == 0 ? 5 : Math.Ceiling(basis.Max(s => Log(s.Percentile(99).Median)) + 0.15);
        foreach (var series in sweep)
        {
            var (color, label) = Styles.GetValueOrDefault(series.Name, (Colors.Gray, series.Name));
            foreach (var (percentile, pattern) in new[] { (50.0, LinePattern.Solid), (99.0, LinePattern.Dashed) })
            {
                var steps = series.Steps.Where(s => s.KeptUp && s.Measured).ToList();
                if (steps.Count > 0)
                {
                    var line = plot.Add.Scatter(
                        steps.Select(s => Math.Log10(s.OfferedRate)).ToArray(),
                        steps.Select(s => Log(s.Percentile(percentile).Median)).ToArray(),
                        color);
                    line.LinePattern = pattern;
                    line.LineWidth = 2;
                    line.MarkerShape = percentile == 50 ? MarkerShape.FilledCircle : MarkerShape.OpenCircle;
                    line.MarkerSize = 7;
                    line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{label} p{percentile:0}");
                }

                foreach (var overloaded in series.Steps.Where(s => !s.KeptUp && s.Measured))
                {
                    var value = overloaded.Percentile(percentile).Median;
                    var y = Math.Min(Log(value), highest - (percentile == 50 ? 0.12 : 0.04));
                    var x = Math.Log10(overloaded.OfferedRate);
                    plot.Add.Marker(x, y, MarkerShape.Eks, 12, color);
                    var text = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"p{percentile:0} {Human(value)}"), x, y);
                    text.LabelFontSize = 10;
                    text.LabelFontColor = color;
                    text.LabelAlignment = Alignment.MiddleRight;
                    text.OffsetX = -8;
                }
            }
        }

        // The 1,000 req/s point of Dapr's method.
        var dapr = plot.Add.VerticalLine(Math.Log10(FastPathCommand.DaprRate), 1, Colors.Gray);
        dapr.LinePattern = LinePattern.Dotted;
        dapr.Text = "1,000 req/s";
        dapr.LabelFontSize = 11;

        var rates = options.SweepRates;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            rates.Select(r => Math.Log10(r)).ToArray(),
            rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.Label.Text = "latency from intended send, µs (log scale)";
        plot.Axes.Bottom.Label.Text = "offered load, req/s (open loop, log scale)";
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Get latency vs offered load (p50 solid, p99 dashed; × = did not keep up)"));
        plot.Axes.Title.Label.FontSize = 14;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.12);
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);
        plot.Grid.MinorLineWidth = 1;

        plot.Axes.SetLimitsY(lowest, highest);

        var padding = 0.08;
        plot.Axes.SetLimitsX(Math.Log10(rates[0]) - padding, Math.Log10(rates[^1]) + padding);
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, Width, Height);
    }
}
