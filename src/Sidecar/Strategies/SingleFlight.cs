using System.Collections.Concurrent;

namespace CacheSidecar.Strategies;

/// <summary>
/// At most one store load per key per sidecar at a time: concurrent callers for the same key
/// share the first caller's load. (The Redis lease extends this to the whole cluster.)
/// </summary>
internal sealed class SingleFlight<TKey, TResult>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TResult>>> _flights = new();

    /// <summary>
    /// Runs <paramref name="load"/> unless a load for <paramref name="key"/> is already in flight;
    /// <c>Joined</c> says which.
    /// </summary>
    public async Task<(TResult Result, bool Joined)> RunAsync(TKey key, Func<Task<TResult>> load,
        CancellationToken cancellationToken)
    {
        var mine = new Lazy<Task<TResult>>(load, LazyThreadSafetyMode.ExecutionAndPublication);
        var flight = _flights.GetOrAdd(key, mine);
        var joined = !ReferenceEquals(flight, mine);
        try
        {
            // Each caller keeps its own deadline even when it joined someone else's load.
            return (await flight.Value.WaitAsync(cancellationToken).ConfigureAwait(false), joined);
        }
        finally
        {
            if (!joined)
            {
                _flights.TryRemove(new KeyValuePair<TKey, Lazy<Task<TResult>>>(key, flight));
            }
        }
    }
}
