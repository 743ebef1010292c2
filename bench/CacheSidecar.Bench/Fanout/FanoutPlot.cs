using System.Globalization;
using ScottPlot;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// docs/benchmarks-fanout.png, two panels against the number of instances (log scale), one colour per scheme:
/// delivery delay (p99 solid, p50 dashed) and messages delivered per second (sum over the subscribers).
/// </summary>
internal static class FanoutPlot
{
    private const int Width = 1200;
    private const int Height = 600;

    private static readonly Color[] Colours =
        [Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#1f77b4")];

    /// <summary>Writes the PNG; returns the path, or why it could not be drawn (e.g. Skia did not load).</summary>
    public static (string? File, string? Problem) TryWrite(string path, FanoutResults results)
    {
        try
        {
            Write(path, results);
            Console.WriteLine($"Plot: {path}");
            return (path, null);
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or IOException
            or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.WriteLine($"!! Plot not written: {ex.GetType().Name}: {ex.Message}");
            return (null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private static void Write(string path, FanoutResults results)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var delay = multiplot.GetPlot(0);
        var rate = multiplot.GetPlot(1);
        var rows = results.Rows;
        var schemes = rows.Select(row => row.Scheme).Distinct().ToList();
        foreach (var (scheme, index) in schemes.Select((scheme, index) => (scheme, index)))
        {
            var measured = rows.Where(row => row.Scheme == scheme && row.Runs.Any(run => run.Delays.TotalCount > 0))
                .OrderBy(row => row.Instances).ToList();
            var x = measured.Select(row => Math.Log10(row.Instances)).ToArray();
            var colour = Colours[index % Colours.Length];
            AddLine(delay, x, measured.Select(r => Math.Log10(r.Median(p => p.DelayMilliseconds(99)))).ToArray(),
                colour, solid: true, $"{scheme.Name} p99");
            AddLine(delay, x, measured.Select(r => Math.Log10(r.Median(p => p.DelayMilliseconds(50)))).ToArray(),
                colour, solid: false, $"{scheme.Name} p50");
            AddLine(rate, x, measured.Select(r => Math.Log10(r.Median(p => p.DeliveredPerSecond))).ToArray(),
                colour, solid: true, scheme.Name);
        }

        var instances = results.Points.Select(point => point.Instances).Distinct().Order().ToArray();
        var offered = results.Points.Count == 0 ? 0 : results.Points[0].OfferedRate;
        var rounds = results.Rounds > 1
            ? string.Create(CultureInfo.InvariantCulture, $", median of {results.Rounds} rounds")
            : "";
        Style(delay, instances, "delivery delay, ms (log scale)", string.Create(CultureInfo.InvariantCulture,
            $"Delivery delay at {offered:N0} invalidations/s{rounds}"), "#,0.##");
        Style(rate, instances, "messages delivered/s, all subscribers (log scale)",
            "Messages delivered per second", "#,0");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        multiplot.SavePng(path, Width, Height);
    }

    private static void AddLine(Plot plot, double[] x, double[] y, Color colour, bool solid, string label)
    {
        var line = plot.Add.Scatter(x, y, colour);
        line.LinePattern = solid ? LinePattern.Solid : LinePattern.Dashed;
        line.LineWidth = 2;
        line.MarkerShape = solid ? MarkerShape.FilledCircle : MarkerShape.OpenCircle;
        line.MarkerSize = 7;
        line.LegendText = label;
    }

    private static void Style(Plot plot, int[] instances, string yLabel, string title, string yFormat)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            instances.Select(n => Math.Log10(n)).ToArray(),
            instances.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString(yFormat, CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.Label.Text = "simulated instances (subscribers), log scale";
        plot.Axes.Left.Label.Text = yLabel;
        plot.Axes.Bottom.Label.FontSize = 13;
        plot.Axes.Left.Label.FontSize = 13;
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 14;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.12);
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);
        // Below the panel: the lines cross anywhere, so a legend inside would hide some of them.
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsX(Math.Log10(instances[0]) - 0.1, Math.Log10(instances[^1]) + 0.1);
        plot.Axes.SetLimitsY(Math.Floor(limits.Bottom), Math.Ceiling(limits.Top));
    }
}
