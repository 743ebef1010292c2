using CacheSidecar.Configuration;
using CacheSidecar.Invalidations;

namespace CacheSidecar.Tests.Invalidations;

/// <summary>
/// What a WatchInvalidations stream is told (pure logic): Synced or Reset first, then every invalidation in
/// order, and Reset whenever this instance may have missed one.
/// </summary>
public sealed class NamespaceFeedTests
{
    private static readonly NamespacePolicy Ns =
        NamespacePolicy.From("watched", new NamespaceOptions { PublishInvalidations = true });

    [Fact]
    public void A_watcher_of_a_synced_feed_starts_with_synced_at_the_applied_sequence_then_gets_each_invalidation()
    {
        var feed = new NamespaceFeed(Ns);
        feed.Resync(41);
        var watcher = new InvalidationWatcher();

        feed.Add(watcher);
        feed.Apply(42, InvalidationChange.OfKeys(["a", "b"]));
        feed.Apply(43, InvalidationChange.OfTags(["t"]));
        feed.Apply(44, InvalidationChange.WholeNamespace);

        Assert.Equal(
            ["Synced 41 ", "Keys 42 a,b", "Tags 43 t", "Namespace 44 "],
            Drain(watcher));
    }

    [Fact]
    public void A_watcher_of_a_feed_not_yet_synced_gets_reset_and_nothing_until_synced()
    {
        var feed = new NamespaceFeed(Ns);
        var watcher = new InvalidationWatcher();

        feed.Add(watcher);
        feed.Apply(7, InvalidationChange.OfKeys(["a"])); // not vouched for: not passed on
        feed.Resync(7);
        feed.Apply(8, InvalidationChange.OfKeys(["b"]));

        Assert.Equal(["Reset 0 ", "Synced 7 ", "Keys 8 b"], Drain(watcher));
    }

    [Fact]
    public void A_gap_in_the_sequence_tells_watchers_reset_then_synced_at_the_new_sequence()
    {
        var feed = Synced();
        var watcher = Watch(feed);

        feed.Apply(1, InvalidationChange.OfKeys(["a"]));
        feed.Apply(3, InvalidationChange.OfKeys(["c"])); // 2 was lost

        Assert.Equal(["Keys 1 a", "Reset 0 ", "Synced 3 "], Drain(watcher));
    }

    [Fact]
    public void A_counter_ahead_of_the_applied_sequence_tells_watchers_reset_then_synced()
    {
        var feed = Synced();
        var watcher = Watch(feed);

        Assert.False(feed.Resync(0));
        Assert.True(feed.Resync(5)); // published, never received

        Assert.Equal(["Reset 0 ", "Synced 5 "], Drain(watcher));
    }

    [Fact]
    public void A_lost_connection_tells_watchers_reset_once_and_the_next_sync_tells_synced()
    {
        var feed = Synced();
        var watcher = Watch(feed);

        Assert.True(feed.Lose());
        Assert.False(feed.Lose());
        feed.Apply(1, InvalidationChange.OfKeys(["a"])); // arrives while out of sync: nobody vouches for it
        feed.Resync(2);

        Assert.Equal(["Reset 0 ", "Synced 2 "], Drain(watcher));
        Assert.True(feed.InSync);
    }

    [Fact]
    public void A_removed_watcher_is_told_nothing_more()
    {
        var feed = Synced();
        var watcher = Watch(feed);

        feed.Remove(watcher);
        feed.Apply(1, InvalidationChange.OfKeys(["a"]));

        Assert.Empty(Drain(watcher));
        Assert.Equal(0, feed.WatcherCount);
    }

    [Fact]
    public void A_watcher_that_cannot_take_more_is_ended_rather_than_blocking_the_feed()
    {
        var feed = Synced();
        var watcher = Watch(feed);

        for (var seq = 1; seq <= InvalidationWatcher.Capacity + 1; seq++)
        {
            feed.Apply(seq, InvalidationChange.OfKeys(["k"]));
        }

        Assert.True(watcher.FellBehind);
        Assert.Equal(InvalidationWatcher.Capacity, Drain(watcher).Count);
        Assert.True(watcher.Notices.Completion.IsCompleted);
    }

    [Fact]
    public void Local_feed_numbers_its_own_writes_from_one_and_is_always_synced()
    {
        var feed = new NamespaceFeed(Ns);
        feed.Resync(0);
        var watcher = Watch(feed);

        feed.ApplyNext(InvalidationChange.OfKeys(["a"]));
        feed.ApplyNext(InvalidationChange.WholeNamespace);

        Assert.Equal(["Keys 1 a", "Namespace 2 "], Drain(watcher));
    }

    private static NamespaceFeed Synced()
    {
        var feed = new NamespaceFeed(Ns);
        feed.Resync(0);
        return feed;
    }

    /// <summary>Attaches a watcher and consumes its opening Synced.</summary>
    private static InvalidationWatcher Watch(NamespaceFeed feed)
    {
        var watcher = new InvalidationWatcher();
        feed.Add(watcher);
        Assert.StartsWith("Synced ", Assert.Single(Drain(watcher)), StringComparison.Ordinal);
        return watcher;
    }

    private static List<string> Drain(InvalidationWatcher watcher)
    {
        var lines = new List<string>();
        while (watcher.Notices.TryRead(out var notice))
        {
            lines.Add($"{notice.Kind} {notice.Sequence} {string.Join(',', notice.Items)}");
        }

        return lines;
    }
}
