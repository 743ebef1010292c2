using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Invalidations;
using CacheSidecar.NearCache;
using CacheSidecar.Strategies;
using Microsoft.Extensions.Time.Testing;

namespace CacheSidecar.Tests.NearCache;

/// <summary>
/// The L1's own rules (pure logic, fake clock): bounds, serving time, the invalidation race guard, and how its
/// feed's sequence (gaps, checks against the counter) clears it.
/// </summary>
public sealed class NamespaceNearCacheTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<NamespaceNearCache> _caches = [];
    private readonly Dictionary<NamespaceNearCache, NamespaceFeed> _feeds = [];

    public void Dispose()
    {
        foreach (var cache in _caches)
        {
            cache.Dispose();
        }
    }

    [Fact]
    public void Serves_nothing_until_synced_with_the_invalidation_counter()
    {
        var l1 = Create(synced: false);
        l1.Offer("k", l1.BeginRead("k"), Value("v1"));
        Assert.False(l1.TryGet("k", out _));

        Feed(l1).Resync(0);
        l1.Offer("k", l1.BeginRead("k"), Value("v1"));

        Assert.True(l1.TryGet("k", out var hit));
        Assert.Equal("v1", Text(hit));
        Assert.Equal(ReadSource.NearCache, hit.Source);
    }

    [Fact]
    public void Serves_an_entry_for_at_most_the_near_cache_ttl()
    {
        var l1 = Create(ttl: TimeSpan.FromSeconds(5));
        l1.Offer("k", l1.BeginRead("k"), Value("v1"));

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.True(l1.TryGet("k", out _));
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(l1.TryGet("k", out _));
    }

    [Fact]
    public void Never_serves_past_the_remaining_ttl_of_the_value_and_reports_it_counting_down()
    {
        var l1 = Create(ttl: TimeSpan.FromSeconds(5));
        l1.Offer("k", l1.BeginRead("k"), Value("v1", ttlRemaining: TimeSpan.FromSeconds(2)));

        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(l1.TryGet("k", out var hit));
        Assert.Equal(TimeSpan.FromSeconds(0.5), hit.TtlRemaining);
        _time.Advance(TimeSpan.FromSeconds(0.6));
        Assert.False(l1.TryGet("k", out _));
    }

    [Fact]
    public void Keeps_neither_not_found_nor_stale_answers()
    {
        var l1 = Create();
        l1.Offer("missing", l1.BeginRead("missing"), ReadResult.NotFound(ReadSource.Store));
        l1.Offer("stale", l1.BeginRead("stale"), Value("old") with { Stale = true });

        Assert.False(l1.TryGet("missing", out _));
        Assert.False(l1.TryGet("stale", out _));
    }

    [Fact]
    public void A_read_overtaken_by_an_invalidation_of_its_key_does_not_store_its_value()
    {
        var l1 = Create();
        var ticket = l1.BeginRead("k"); // the read goes to Redis ...
        l1.Invalidate("k");             // ... a write's invalidation arrives meanwhile ...
        l1.Offer("k", ticket, Value("old")); // ... and the read returns the value that write replaced.

        Assert.False(l1.TryGet("k", out _));
    }

    [Fact]
    public void A_read_overtaken_by_a_clear_does_not_store_its_value()
    {
        var l1 = Create();
        var ticket = l1.BeginRead("k");
        Feed(l1).Apply(1, InvalidationChange.WholeNamespace); // whole-namespace invalidation
        l1.Offer("k", ticket, Value("old"));

        Assert.False(l1.TryGet("k", out _));
    }

    [Fact]
    public void An_invalidation_drops_only_its_keys()
    {
        var l1 = Create();
        l1.Offer("a", l1.BeginRead("a"), Value("A"));
        l1.Offer("b", l1.BeginRead("b"), Value("B"));

        var gap = Feed(l1).Apply(1, InvalidationChange.OfKeys(["a"]));

        Assert.False(gap);
        Assert.False(l1.TryGet("a", out _));
        Assert.True(l1.TryGet("b", out _));
    }

    [Fact]
    public void A_gap_in_the_invalidation_sequence_clears_everything()
    {
        var l1 = Create();
        Feed(l1).Apply(1, InvalidationChange.OfKeys(["x"]));
        l1.Offer("b", l1.BeginRead("b"), Value("B"));

        var gap = Feed(l1).Apply(3, InvalidationChange.OfKeys(["a"])); // message 2 was lost

        Assert.True(gap);
        Assert.False(l1.TryGet("b", out _));
        Assert.Equal(3, Feed(l1).AppliedSequence);
    }

    [Fact]
    public void A_counter_in_redis_ahead_of_the_applied_sequence_clears_everything()
    {
        var l1 = Create();
        Feed(l1).Apply(1, InvalidationChange.OfKeys(["x"]));
        l1.Offer("b", l1.BeginRead("b"), Value("B"));

        Assert.False(Feed(l1).Resync(1));
        Assert.True(l1.TryGet("b", out _));

        Assert.True(Feed(l1).Resync(2)); // message 2 published, never received
        Assert.False(l1.TryGet("b", out _));
    }

    [Fact]
    public void A_counter_that_went_back_after_a_redis_restart_is_followed_not_cleared_on_every_check()
    {
        var l1 = Create();
        Feed(l1).Apply(57, InvalidationChange.OfKeys(["x"]));
        Feed(l1).Lose(); // a restart drops every connection first

        Assert.True(Feed(l1).Resync(0));
        l1.Offer("b", l1.BeginRead("b"), Value("B"));
        Assert.False(Feed(l1).Resync(0));
        Assert.True(l1.TryGet("b", out _));
    }

    [Fact]
    public void A_counter_read_before_messages_that_arrived_since_is_no_reason_to_clear()
    {
        var l1 = Create();
        Feed(l1).Apply(1, InvalidationChange.OfKeys(["x"]));
        Feed(l1).Apply(2, InvalidationChange.OfKeys(["y"]));
        l1.Offer("b", l1.BeginRead("b"), Value("B"));

        Assert.False(Feed(l1).Resync(1)); // the counter said 1; message 2 came in before the comparison
        Assert.True(l1.TryGet("b", out _));
        Assert.False(Feed(l1).Apply(3, InvalidationChange.OfKeys(["z"]))); // and the sequence goes on without a gap
    }

    [Fact]
    public void Clear_with_stop_serving_bypasses_the_l1_until_the_next_sync()
    {
        var l1 = Create();
        l1.Offer("b", l1.BeginRead("b"), Value("B"));

        l1.Clear(stopServing: true);
        l1.Offer("b", l1.BeginRead("b"), Value("B"));
        Assert.False(l1.TryGet("b", out _));
        Assert.False(l1.InSync);

        Feed(l1).Resync(0);
        l1.Offer("b", l1.BeginRead("b"), Value("B"));
        Assert.True(l1.TryGet("b", out _));
    }

    [Fact]
    public async Task Holds_at_most_max_entries()
    {
        var l1 = Create(maxEntries: 100, maxBytes: 10 * 1024 * 1024);
        for (var i = 0; i < 1_000; i++)
        {
            var key = $"k{i}";
            l1.Offer(key, l1.BeginRead(key), Value("v"));
        }

        // MemoryCache compacts in the background when an add is refused; the bound holds throughout.
        Assert.InRange(l1.Count, 1, 100);
        await WaitUntilAsync(() => l1.Count <= 100);
        Assert.InRange(l1.Count, 1, 100);
    }

    [Fact]
    public void Holds_at_most_max_bytes()
    {
        const long maxBytes = 64 * 1024;
        var l1 = Create(maxEntries: 10_000, maxBytes: maxBytes);
        var value = new string('x', 4_000);
        for (var i = 0; i < 100; i++)
        {
            var key = $"k{i}";
            l1.Offer(key, l1.BeginRead(key), Value(value));
        }

        Assert.InRange(l1.ChargedBytes, 4_000, maxBytes);
        // 4 KB values in 64 KB: at most 16 fit, whatever the entry count limit says.
        Assert.InRange(l1.Count, 1, 16);
    }

    private NamespaceNearCache Create(bool synced = true, TimeSpan? ttl = null, int maxEntries = 1000, long maxBytes = 1024 * 1024)
    {
        var ns = NamespacePolicy.From("l1", new NamespaceOptions
        {
            Collection = "items",
            NearCache = new NearCacheOptions { Enabled = true, Ttl = ttl ?? TimeSpan.FromSeconds(5), MaxEntries = maxEntries, MaxBytes = maxBytes },
        });
        var l1 = new NamespaceNearCache(ns, _time);
        _caches.Add(l1);
        _feeds[l1] = new NamespaceFeed(ns, l1);
        if (synced)
        {
            Feed(l1).Resync(0);
        }

        return l1;
    }

    /// <summary>The feed that sequences the L1's invalidations (as the bus does over Redis).</summary>
    private NamespaceFeed Feed(NamespaceNearCache l1) => _feeds[l1];

    private static ReadResult Value(string text, TimeSpan? ttlRemaining = null) =>
        new(true, Encoding.UTF8.GetBytes(text), "application/json", 1, ReadSource.Cache, Stale: false, ttlRemaining ?? TimeSpan.FromMinutes(10));

    private static string Text(ReadResult result) => Encoding.UTF8.GetString(result.Value.Span);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }
}
