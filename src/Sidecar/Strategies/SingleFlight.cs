using System.Collections.Concurrent;
using System.Diagnostics;

namespace CacheSidecar.Strategies;

/// <summary>
/// At most one store load per key per sidecar at a time: concurrent callers for the same key
/// share a load that is in flight. (The Redis lease extends this to the whole cluster.)
/// <para>
/// A caller joins only a load that started after the caller's cache lookup returned: a load that
/// started earlier may have read the store before a write that finished before this caller began
/// (or before the invalidation that preceded the caller's fill lease), and sharing its answer would
/// serve, and fill, a value older than a completed write (found by the consistency checker's
/// real-time rule). Such a caller starts its own load, which later callers join.
/// </para>
/// </summary>
internal sealed class SingleFlight<TKey, TResult>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Flight> _flights = new();

    /// <summary>
    /// Runs <paramref name="load"/> unless a load for <paramref name="key"/> that started at or after
    /// <paramref name="callerBegan"/> (a <see cref="Stopwatch.GetTimestamp"/>) is in flight;
    /// <c>Joined</c> says which.
    /// </summary>
    public async Task<(TResult Result, bool Joined)> RunAsync(TKey key, long callerBegan, Func<Task<TResult>> load,
        CancellationToken cancellationToken)
    {
        var mine = new Flight(load);
        var flight = _flights.AddOrUpdate(
            key,
            mine,
            (_, current) => current.Started >= callerBegan ? current : mine);
        var joined = !ReferenceEquals(flight, mine);
        try
        {
            // Each caller keeps its own deadline even when it joined someone else's load.
            return (await flight.Task.Value.WaitAsync(cancellationToken).ConfigureAwait(false), joined);
        }
        finally
        {
            if (!joined)
            {
                _flights.TryRemove(new KeyValuePair<TKey, Flight>(key, flight));
            }
        }
    }

    private sealed class Flight(Func<Task<TResult>> load)
    {
        public long Started { get; } = Stopwatch.GetTimestamp();

        public Lazy<Task<TResult>> Task { get; } = new(load, LazyThreadSafetyMode.ExecutionAndPublication);
    }
}
