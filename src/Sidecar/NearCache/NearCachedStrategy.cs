using CacheSidecar.Configuration;
using CacheSidecar.Strategies;

namespace CacheSidecar.NearCache;

/// <summary>
/// Puts a namespace's L1 in front of its strategy. Reads are answered from L1 when it holds the
/// key, and otherwise offer what the strategy returns (under a ticket, so a read that raced an
/// invalidation stores nothing). Writes go to the strategy, whose broadcast drops the key from
/// this L1 and every other instance's before the call returns (<see cref="NearCacheBus"/>).
/// </summary>
internal sealed class NearCachedStrategy(ICacheStrategy inner, NearCacheBus bus) : ICacheStrategy
{
    public Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var l1 = bus.For(ns);
        if (l1 is null)
        {
            return inner.GetAsync(ns, key, cancellationToken);
        }

        // A hit completes synchronously: no state machine, no Redis call.
        return l1.TryGet(key, out var hit) ? Task.FromResult(hit) : ReadAndOfferAsync(l1, ns, key, cancellationToken);
    }

    public async Task<ReadResult[]> BatchGetAsync(NamespacePolicy ns, IReadOnlyList<string> keys,
        CancellationToken cancellationToken)
    {
        var l1 = bus.For(ns);
        if (l1 is null)
        {
            return await inner.BatchGetAsync(ns, keys, cancellationToken).ConfigureAwait(false);
        }

        var results = new ReadResult[keys.Count];
        var missed = new List<int>();
        for (var i = 0; i < keys.Count; i++)
        {
            if (!l1.TryGet(keys[i], out results[i]))
            {
                missed.Add(i);
            }
        }

        if (missed.Count == 0)
        {
            return results;
        }

        var missedKeys = missed.Select(i => keys[i]).ToArray();
        var tickets = missedKeys.Select(l1.BeginRead).ToArray();
        var loaded = await inner.BatchGetAsync(ns, missedKeys, cancellationToken).ConfigureAwait(false);
        for (var j = 0; j < missed.Count; j++)
        {
            results[missed[j]] = loaded[j];
            l1.Offer(missedKeys[j], tickets[j], loaded[j]);
        }

        return results;
    }

    // Writes and invalidations: the inner pipeline broadcasts them, and this instance's L1 is one
    // of the receivers (NearCacheBus drops the keys here before it publishes).
    public Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken) =>
        inner.PutAsync(ns, request, cancellationToken);

    public Task<IncrementResult> IncrementAsync(NamespacePolicy ns, string key, long delta, TimeSpan? ttl,
        CancellationToken cancellationToken) =>
        inner.IncrementAsync(ns, key, delta, ttl, cancellationToken);

    public Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch,
        CancellationToken cancellationToken) =>
        inner.DeleteAsync(ns, key, ifMatch, cancellationToken);

    public Task<int> InvalidateAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken) =>
        inner.InvalidateAsync(ns, keys, cancellationToken);

    public Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl,
        CancellationToken cancellationToken) =>
        inner.TouchAsync(ns, key, ttl, cancellationToken);

    public Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags,
        CancellationToken cancellationToken) =>
        inner.InvalidateTagsAsync(ns, tags, cancellationToken);

    public Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken) =>
        inner.InvalidateNamespaceAsync(ns, cancellationToken);

    private async Task<ReadResult> ReadAndOfferAsync(NamespaceNearCache l1, NamespacePolicy ns, string key,
        CancellationToken cancellationToken)
    {
        var ticket = l1.BeginRead(key);
        var result = await inner.GetAsync(ns, key, cancellationToken).ConfigureAwait(false);
        l1.Offer(key, ticket, result);
        return result;
    }
}
