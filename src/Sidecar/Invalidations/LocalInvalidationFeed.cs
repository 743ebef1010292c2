using System.Collections.Frozen;
using CacheSidecar.Configuration;
using CacheSidecar.Strategies;

namespace CacheSidecar.Invalidations;

/// <summary>
/// Embedded mode: one instance, one in-process tier, so the only invalidations are this instance's own
/// writes. They are sequenced here and handed to the watchers directly; the feed is always in sync.
/// </summary>
internal sealed class LocalInvalidationFeed : IInvalidationBroadcast, IInvalidationFeed
{
    private readonly FrozenDictionary<string, NamespaceFeed> _feeds;

    public LocalInvalidationFeed(NamespaceRegistry namespaces)
    {
        _feeds = namespaces.All.Where(ns => ns.PublishesInvalidations)
            .ToFrozenDictionary(ns => ns.Name, ns => new NamespaceFeed(ns), StringComparer.Ordinal);
        foreach (var feed in _feeds.Values)
        {
            feed.Resync(0);
        }
    }

    public Task KeysChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys) =>
        Changed(ns, InvalidationChange.OfKeys([.. keys]));

    public Task TagsChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags) =>
        Changed(ns, InvalidationChange.OfTags([.. tags]));

    public Task NamespaceChangedAsync(NamespacePolicy ns) => Changed(ns, InvalidationChange.WholeNamespace);

    public Task<IAsyncDisposable> WatchAsync(NamespacePolicy ns, InvalidationWatcher watcher,
        CancellationToken cancellationToken)
    {
        var feed = _feeds[ns.Name];
        feed.Add(watcher);
        return Task.FromResult<IAsyncDisposable>(new Detach(feed, watcher));
    }

    private Task Changed(NamespacePolicy ns, InvalidationChange change)
    {
        if (_feeds.TryGetValue(ns.Name, out var feed))
        {
            feed.ApplyNext(change);
        }

        return Task.CompletedTask;
    }

    private sealed class Detach(NamespaceFeed feed, InvalidationWatcher watcher) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            feed.Remove(watcher);
            return ValueTask.CompletedTask;
        }
    }
}
