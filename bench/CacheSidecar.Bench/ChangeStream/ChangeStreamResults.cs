namespace CacheSidecar.Bench.ChangeStream;

/// <summary>Everything the changestream report shows.</summary>
/// <param name="Keys">Documents of the watched namespace.</param>
/// <param name="PoolSize">Of which reserved for sampled writes.</param>
/// <param name="WatcherReadyAfter">From the sidecar serving to its watcher's resume token in Redis.</param>
/// <param name="Baselines">The plain round trips, measured alone.</param>
/// <param name="Rates">One result per external write rate.</param>
/// <param name="WatcherLog">The sidecar's own log lines about the watcher (started, stopped, started afresh).</param>
/// <param name="RedisVersion">redis-server's version.</param>
internal sealed record ChangeStreamResults(
    int Keys,
    int PoolSize,
    TimeSpan WatcherReadyAfter,
    LagBaselines Baselines,
    IReadOnlyList<LagRateResult> Rates,
    IReadOnlyList<string> WatcherLog,
    string RedisVersion);
