using System.Globalization;
using CacheSidecar.Bench.Load;
using ScottPlot;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// docs/benchmarks-latency.png: p50 (solid) and p99 (dashed) latency against offered load, one colour
/// per series, both axes logarithmic. A step that did not keep up is drawn with a cross and no line
/// into it: its percentiles measure the queue, not the service.
/// </summary>
internal static class LatencyPlot
{
    private const int Width = 1000;
    private const int Height = 620;

    private static readonly Dictionary<string, Color> SeriesColors = new(StringComparer.Ordinal)
    {
        [FastPathScenarios.DirectRedis] = Color.FromHex("#1f77b4"),
        [FastPathScenarios.GetHit] = Color.FromHex("#d62728"),
        [FastPathScenarios.NearCacheGet] = Color.FromHex("#2ca02c"),
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

    private static void Write(string path, IReadOnlyList<SweepSeries> sweep, BenchOptions options)
    {
        var plot = new Plot();
        var lowest = double.MaxValue;
        var highest = double.MinValue;
        foreach (var series in sweep)
        {
            var color = SeriesColors.GetValueOrDefault(series.Name, Colors.Gray);
            foreach (var (percentile, pattern) in new[] { (50.0, LinePattern.Solid), (99.0, LinePattern.Dashed) })
            {
                var kept = series.Steps.Where(s => s.KeptUp && s.Measured > 0).ToList();
                if (kept.Count > 0)
                {
                    var xs = kept.Select(s => Math.Log10(s.OfferedRate)).ToArray();
                    var ys = kept.Select(s => Math.Log10(Math.Max(1, s.PercentileMicroseconds(percentile)))).ToArray();
                    var line = plot.Add.Scatter(xs, ys, color);
                    line.LinePattern = pattern;
                    line.LineWidth = 2;
                    line.MarkerShape = MarkerShape.FilledCircle;
                    line.MarkerSize = 6;
                    line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{series.Name} p{percentile:0}");
                    lowest = Math.Min(lowest, ys.Min());
                    highest = Math.Max(highest, ys.Max());
                }

                foreach (var overloaded in series.Steps.Where(s => !s.KeptUp && s.Measured > 0))
                {
                    var y = Math.Log10(Math.Max(1, overloaded.PercentileMicroseconds(percentile)));
                    var marker = plot.Add.Marker(Math.Log10(overloaded.OfferedRate), y, MarkerShape.Eks, 12, color);
                    marker.LegendText = "";
                    lowest = Math.Min(lowest, y);
                    highest = Math.Max(highest, y);
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
            $"Get latency vs offered load: p50 solid, p99 dashed; × = did not keep up (< {OpenLoopResult.KeepUpShare:P0} of offered)"));
        plot.Axes.Title.Label.FontSize = 14;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.12);
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);
        plot.Grid.MinorLineWidth = 1;

        if (lowest <= highest)
        {
            plot.Axes.SetLimitsY(Math.Floor(lowest), Math.Ceiling(highest + 0.05));
        }

        var padding = 0.08;
        plot.Axes.SetLimitsX(Math.Log10(rates[0]) - padding, Math.Log10(rates[^1]) + padding);
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, Width, Height);
    }
}
