using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// Whole near-cache clears, by reason, per stage of the run: the SDK's (<c>cachesidecar.client.near_cache.clears</c>,
/// through the <see cref="InvalidationProbe"/>) and sidecar A's (<c>cachesidecar.near_cache.clears</c> on its
/// <c>/metrics</c>), whose RESET a watcher receives whenever A itself concludes it may have missed an invalidation.
/// </summary>
/// <param name="AtStart">The SDK's, until it first served (a stream that opens before A follows the namespace gets
/// RESET, then SYNCED).</param>
/// <param name="DuringReads">The SDK's during part 1.</param>
/// <param name="DuringInvalidations">The SDK's during part 2.</param>
/// <param name="SidecarDuringReads">Sidecar A's during part 1.</param>
/// <param name="SidecarDuringInvalidations">Sidecar A's during part 2.</param>
internal sealed record ClearCounts(
    IReadOnlyDictionary<string, long> AtStart,
    IReadOnlyDictionary<string, long> DuringReads,
    IReadOnlyDictionary<string, long> DuringInvalidations,
    IReadOnlyDictionary<string, long> SidecarDuringReads,
    IReadOnlyDictionary<string, long> SidecarDuringInvalidations)
{
    /// <summary>The sidecar's clear counter as Prometheus names it.</summary>
    public const string SidecarMetric = "cachesidecar_near_cache_clears_total";

    /// <summary>
    /// SDK clears that no stage explains: any in part 1 (its near-cache rows would have gone to the sidecar), and
    /// in part 2 any but RESET/SYNCED, or more RESETs than sidecar A's own clears (each of which sends one).
    /// </summary>
    public bool Unexplained =>
        DuringReads.Count > 0
        || DuringInvalidations.Keys.Any(reason => reason is not ("reset" or "synced"))
        || DuringInvalidations.GetValueOrDefault("reset") > SidecarDuringInvalidations.Values.Sum();

    /// <summary>Sidecar A's clears of <paramref name="ns"/> so far, by reason.</summary>
    public static Dictionary<string, long> OfSidecar(PrometheusText metrics, string ns)
    {
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (labels, value) in metrics.Samples(SidecarMetric, $"namespace=\"{ns}\""))
        {
            const string marker = "reason=\"";
            var at = labels.IndexOf(marker, StringComparison.Ordinal);
            var reason = at < 0 ? "unknown" : labels[(at + marker.Length)..labels.IndexOf('"', at + marker.Length)];
            byReason[reason] = byReason.GetValueOrDefault(reason) + (long)value;
        }

        return byReason;
    }

    /// <summary>The counts in <paramref name="end"/> that were not yet in <paramref name="start"/>.</summary>
    public static Dictionary<string, long> Since(IReadOnlyDictionary<string, long> start,
        IReadOnlyDictionary<string, long> end) =>
        end.Where(c => c.Value > start.GetValueOrDefault(c.Key))
            .ToDictionary(c => c.Key, c => c.Value - start.GetValueOrDefault(c.Key), StringComparer.Ordinal);

    public static string Describe(IReadOnlyDictionary<string, long> clears) => clears.Count == 0
        ? "none"
        : string.Join(", ", clears.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}
