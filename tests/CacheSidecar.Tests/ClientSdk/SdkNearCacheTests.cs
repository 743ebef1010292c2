using System.Diagnostics.Metrics;
using CacheSidecar.Client;
using CacheSidecar.Client.NearCache;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// The SDK near cache's own rules (pure logic: scripted loads stand in for the sidecar, a fake clock): it answers only
/// while synced, never installs a value an invalidation overtook, shares one load among concurrent misses, and stays
/// within its bounds.
/// </summary>
public sealed class SdkNearCacheTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly NearCacheMetrics _metrics = new(meterFactory: null, () => []);
    private readonly List<NamespaceNearCache> _caches = [];

    public void Dispose()
    {
        foreach (var cache in _caches)
        {
            cache.Dispose();
        }

        _metrics.Dispose();
    }

    [Fact]
    public async Task Answers_from_memory_only_between_synced_and_reset()
    {
        var cache = Create(synced: false);
        var loads = 0;
        Task<GetResponse> Load(string key, CancellationToken _)
        {
            loads++;
            return Task.FromResult(Value("v"));
        }

        await cache.GetAsync("k", Load, default);
        await cache.GetAsync("k", Load, default); // not synced: nothing was stored
        cache.Synced(0);
        await cache.GetAsync("k", Load, default);
        var (_, hit) = await cache.GetAsync("k", Load, default);
        cache.Stop("reset");
        await cache.GetAsync("k", Load, default);

        Assert.True(hit);
        Assert.Equal(4, loads);
        Assert.False(cache.Serving);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_read_overtaken_by_an_invalidation_of_its_key_does_not_install_its_value()
    {
        var cache = Create();
        var ticket = cache.BeginRead("k");    // the read goes to the sidecar ...
        cache.Invalidated(1, ["k"]);          // ... the write's KEYS event arrives meanwhile ...
        cache.Offer("k", ticket, Value("old")); // ... and the read returns the value that write replaced.

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void A_read_overtaken_by_a_reset_and_resync_does_not_install_its_value()
    {
        var cache = Create();
        var ticket = cache.BeginRead("k");
        cache.Stop("reset");
        cache.Synced(10);
        cache.Offer("k", ticket, Value("old"));

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void A_keys_event_that_skips_a_sequence_drops_everything()
    {
        var cache = Create();
        cache.Offer("a", cache.BeginRead("a"), Value("A"));
        cache.Offer("b", cache.BeginRead("b"), Value("B"));

        cache.Invalidated(1, ["a"]);
        Assert.True(cache.TryGet("b", out _));
        cache.Invalidated(3, ["x"]); // 2 never arrived

        Assert.False(cache.TryGet("b", out _));
    }

    [Fact]
    public async Task Concurrent_misses_of_one_key_share_one_load()
    {
        var cache = Create();
        var release = new TaskCompletionSource<GetResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        Task<GetResponse> Load(string key, CancellationToken _)
        {
            Interlocked.Increment(ref loads);
            return release.Task;
        }

        var readers = Enumerable.Range(0, 20).Select(_ => cache.GetAsync("k", Load, default).AsTask()).ToArray();
        release.SetResult(Value("v"));
        var answers = await Task.WhenAll(readers);

        Assert.Equal(1, loads);
        Assert.All(answers, a => Assert.Equal("v", a.Response.Value.ToStringUtf8()));
        Assert.True(cache.TryGet("k", out _));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_fail_the_others_waiting_on_the_same_load()
    {
        var cache = Create();
        var release = new TaskCompletionSource<GetResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();
        var first = cache.GetAsync("k", (_, _) => release.Task, impatient.Token).AsTask();
        var second = cache.GetAsync("k", (_, _) => release.Task, default).AsTask();

        await impatient.CancelAsync();
        release.SetResult(Value("v"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal("v", (await second).Response.Value.ToStringUtf8());
    }

    [Fact]
    public void Serves_no_longer_than_max_age_nor_the_value_s_own_ttl_which_counts_down()
    {
        var cache = Create(maxAge: TimeSpan.FromSeconds(10));
        cache.Offer("short", cache.BeginRead("short"), Value("s", TimeSpan.FromSeconds(2)));
        cache.Offer("long", cache.BeginRead("long"), Value("l", TimeSpan.FromHours(1)));

        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(cache.TryGet("short", out var counting));
        Assert.Equal(TimeSpan.FromSeconds(0.5), counting.TtlRemaining.ToTimeSpan());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet("short", out _));
        Assert.True(cache.TryGet("long", out _));
        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.False(cache.TryGet("long", out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_hit_decodes_once_and_shares_the_instance_unless_told_not_to(bool share)
    {
        var cache = Create(share: share);
        cache.Offer("k", cache.BeginRead("k"), Value("{\"n\":1}", TimeSpan.FromMinutes(1)));
        var decoded = 0;
        CacheItem<int[]> Decode(GetResponse response)
        {
            decoded++;
            return new CacheItem<int[]>([1], response.Etag, response.Source, response.Stale, null);
        }

        Assert.True(cache.TryGetItem("k", Decode, out var first));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(cache.TryGetItem("k", Decode, out var second));

        Assert.Equal(share ? 1 : 2, decoded);
        Assert.Equal(share, ReferenceEquals(first.Value, second.Value));
        Assert.True(first.FromNearCache && second.FromNearCache);
        Assert.Equal(TimeSpan.FromSeconds(50), second.TtlRemaining); // counted down per hit, shared or not
    }

    [Fact]
    public void Keeps_neither_not_found_nor_stale_answers()
    {
        var cache = Create();
        cache.Offer("missing", cache.BeginRead("missing"), new GetResponse { Found = false });
        cache.Offer("stale", cache.BeginRead("stale"), Value("old").Also(r => r.Stale = true));

        Assert.False(cache.TryGet("missing", out _));
        Assert.False(cache.TryGet("stale", out _));
    }

    [Fact]
    public void Holds_at_most_max_entries_and_max_bytes()
    {
        var byEntries = Create(maxEntries: 50, maxBytes: 10 * 1024 * 1024);
        var byBytes = Create(maxEntries: 10_000, maxBytes: 64 * 1024);
        var big = new string('x', 4_000);
        for (var i = 0; i < 500; i++)
        {
            byEntries.Offer($"k{i}", byEntries.BeginRead($"k{i}"), Value("v"));
            byBytes.Offer($"k{i}", byBytes.BeginRead($"k{i}"), Value(big));
        }

        // MemoryCache refuses an add over the limit and compacts in the background; the bound holds throughout.
        Assert.InRange(byEntries.Count, 1, 50);
        Assert.InRange(byBytes.ChargedBytes, 4_000, 64 * 1024);
        Assert.InRange(byBytes.Count, 1, 16); // 4 KB values in 64 KB
    }

    private NamespaceNearCache Create(bool synced = true, TimeSpan? maxAge = null, int maxEntries = 1000,
        long maxBytes = 1024 * 1024, bool share = true)
    {
        var options = new NearCacheOptions
        {
            MaxAge = maxAge ?? TimeSpan.FromMinutes(5), MaxEntries = maxEntries, MaxBytes = maxBytes, ShareInstances = share,
        };
        var cache = new NamespaceNearCache("ns", options, _time, _metrics);
        _caches.Add(cache);
        if (synced)
        {
            cache.Synced(0);
        }

        return cache;
    }

    private static GetResponse Value(string text, TimeSpan? ttl = null) => new()
    {
        Found = true,
        Value = ByteString.CopyFromUtf8(text),
        ContentType = "application/json",
        Etag = "1",
        Source = ValueSource.Cache,
        TtlRemaining = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(ttl ?? TimeSpan.FromMinutes(10)),
    };
}

internal static class GetResponseTestExtensions
{
    public static GetResponse Also(this GetResponse response, Action<GetResponse> change)
    {
        change(response);
        return response;
    }
}
