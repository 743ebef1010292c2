using CacheSidecar.Bench.FastPath;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Formatting shared by the parts of the <c>## Fast path</c> section: a median with its range, signed milliseconds.</summary>
internal static class FastPathText
{
    public const double Mb = 1024.0 * 1024.0;

    /// <summary>"406 (398–420)": the median, and the lowest and highest run; "–" when not measured.</summary>
    public static string Range(Spread spread, Func<double, string> format) =>
        !spread.Measured ? "–"
        : spread.Runs == 1 ? format(spread.Median)
        : Inv($"{format(spread.Median)} ({format(spread.Min)}–{format(spread.Max)})");

    /// <summary>µs with a range.</summary>
    public static string Micros(Spread spread) => Range(spread, ReportText.Micros);

    /// <summary>Rates with a range.</summary>
    public static string Rate(Spread spread) => Range(spread, v => Inv($"{v:N0}"));

    /// <summary>Ratios as percentages with a range.</summary>
    public static string Percent(Spread spread) => Range(spread, ReportText.Percent);

    /// <summary>A µs difference as signed ms with a range, e.g. "+0.174 ms (+0.150–+0.210)".</summary>
    public static string AddedMs(Spread micros) => !micros.Measured
        ? "–"
        : micros.Runs == 1 ? Ms(micros.Median) : Inv($"{Ms(micros.Median)} ({Signed(micros.Min)}–{Signed(micros.Max)})");

    public static string Ms(double micros) => double.IsNaN(micros) ? "–" : Inv($"{Signed(micros)} ms");

    /// <summary>"met" / "not met" of a median, "–" when it was not measured.</summary>
    public static string MetOrNot(double median, bool met) => double.IsNaN(median) ? "–" : Met(met);

    public static string CpuMicros(TimeSpan? perCall) => perCall is { } value ? Inv($"{value.TotalMicroseconds:N0}") : "–";

    private static string Signed(double micros) => Inv($"{(micros >= 0 ? "+" : "")}{micros / 1000:F3}");
}
