using System.Globalization;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// The sidecar's <c>/metrics</c> (Prometheus text format), read just enough to sum one metric's
/// samples, optionally only those carrying given labels.
/// </summary>
internal sealed class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>
    /// The sum of the samples of <paramref name="metric"/> (exact name, e.g.
    /// <c>dotnet_gc_heap_total_allocated_bytes_total</c>) whose labels include every
    /// <c>name="value"</c> of <paramref name="labels"/>; null when there is no such sample.
    /// </summary>
    public double? Sum(string metric, params string[] labels)
    {
        double? sum = null;
        foreach (var (_, value) in Samples(metric, labels))
        {
            sum = (sum ?? 0) + value;
        }

        return sum;
    }

    /// <summary>
    /// Each sample of <paramref name="metric"/> whose labels include every <c>name="value"</c> of
    /// <paramref name="labels"/>, with its whole label text (e.g. to read a histogram bucket's <c>le</c>).
    /// </summary>
    public IEnumerable<(string Labels, double Value)> Samples(string metric, params string[] labels)
    {
        foreach (var raw in Text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            string labelText;
            string valueText;
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}', StringComparison.Ordinal);
                labelText = rest[1..close];
                valueText = rest[(close + 1)..];
            }
            else if (rest.StartsWith(' '))
            {
                labelText = "";
                valueText = rest;
            }
            else
            {
                continue; // a longer metric name with this one as prefix
            }

            if (!labels.All(label => labelText.Contains(label, StringComparison.Ordinal)))
            {
                continue;
            }

            // "<value>" or "<value> <timestamp>"
            var value = valueText.Trim().Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                yield return (labelText, parsed);
            }
        }
    }
}
