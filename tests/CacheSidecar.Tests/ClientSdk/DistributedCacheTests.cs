using System.Buffers;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// The SDK's <see cref="IBufferDistributedCache"/> over a real sidecar (real Redis, real store socket, gRPC over
/// loopback) in a pure cache namespace. The cache and the sidecar share the host's fake clock, so "time passes" is
/// a clock advance, and every expiration is asserted on the TTL the sidecar reports (read with a plain Get, which
/// slides nothing), never by waiting.
/// </summary>
public sealed class DistributedCacheTests : IAsyncDisposable
{
    /// <summary>A pure cache namespace whose MaxTtl is one hour, for the cap.</summary>
    private const string Capped = "dc-capped";

    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    private readonly SidecarHost _host;
    private readonly ServiceProvider _app;
    private readonly IBufferDistributedCache _cache;

    public DistributedCacheTests(RedisSingleFixture redis, MongoFixture mongo)
    {
        _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, s =>
        {
            s[$"Sidecar:Namespaces:{Capped}:Strategy"] = "Ttl";
            s[$"Sidecar:Namespaces:{Capped}:MaxTtl"] = "01:00:00";
        }, kestrel: true);
        _app = DistributedCacheServices.For(_host, PureCache, s => s.AddSingleton<TimeProvider>(_host.Time));
        _cache = _app.GetRequiredService<IBufferDistributedCache>();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Set_get_and_remove_round_trip_the_bytes_and_an_entry_without_expiration_gets_the_namespace_ttl()
    {
        var key = UniqueKey();
        byte[] value = [0, 1, 2, 255];

        await _cache.SetAsync(key, value, new DistributedCacheEntryOptions());
        var read = await _cache.GetAsync(key);
        var stored = await _host.Client.GetAsync(PureCache, key);
        await _cache.RemoveAsync(key);

        Assert.Equal(value, read);
        Assert.Equal(value, stored.Value.ToByteArray()); // the bytes as given: no header in the value
        Assert.Equal("application/vnd.cachesidecar.distributed-cache", stored.ContentType);
        AssertTtl(DefaultTtl, stored);
        Assert.Null(await _cache.GetAsync(key));
        // A pure cache namespace has no store to delete from: Delete drops the cache entry itself.
        Assert.False((await _host.Client.GetAsync(PureCache, key)).Found);
        Assert.Null(await _cache.GetAsync(UniqueKey()));
        await _cache.RemoveAsync(UniqueKey()); // removing a missing key is no error
    }

    [Fact]
    public void The_blocking_methods_write_read_slide_and_remove_like_the_async_ones()
    {
        var key = UniqueKey();
        var sliding = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) };

        _cache.Set(key, "blocking"u8.ToArray(), sliding);
        _host.Time.Advance(TimeSpan.FromMinutes(15));
        var before = TtlOf(key);
        var read = _cache.Get(key);
        var afterGet = TtlOf(key);
        _host.Time.Advance(TimeSpan.FromMinutes(15));
        _cache.Refresh(key);
        var afterRefresh = TtlOf(key);
        var writer = new ArrayBufferWriter<byte>();
        var found = _cache.TryGet(key, writer);
        _cache.Set(key, Sequence("two "u8.ToArray(), "parts"u8.ToArray()), new DistributedCacheEntryOptions());
        var sequenced = _cache.Get(key);
        _cache.Remove(key);

        Assert.InRange(before, TimeSpan.FromMinutes(5) - Tolerance, TimeSpan.FromMinutes(5));
        Assert.Equal("blocking"u8.ToArray(), read);
        Assert.InRange(afterGet, TimeSpan.FromMinutes(20) - Tolerance, TimeSpan.FromMinutes(20));
        Assert.InRange(afterRefresh, TimeSpan.FromMinutes(20) - Tolerance, TimeSpan.FromMinutes(20));
        Assert.True(found);
        Assert.Equal("blocking"u8.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Equal("two parts"u8.ToArray(), sequenced);
        Assert.Null(_cache.Get(key));
        Assert.False(_cache.TryGet(key, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public async Task An_absolute_expiration_relative_to_now_becomes_the_entry_ttl()
    {
        var key = UniqueKey();

        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(7),
        });

        AssertTtl(TimeSpan.FromMinutes(7), await _host.Client.GetAsync(PureCache, key));
    }

    [Fact]
    public async Task An_absolute_expiration_at_an_instant_lives_until_then_and_reads_do_not_extend_it()
    {
        var key = UniqueKey();
        var deadline = _host.Time.GetUtcNow() + TimeSpan.FromMinutes(42);

        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions { AbsoluteExpiration = deadline });
        AssertTtl(TimeSpan.FromMinutes(42), await _host.Client.GetAsync(PureCache, key));
        _host.Time.Advance(TimeSpan.FromMinutes(40));
        await _cache.RefreshAsync(key); // no sliding window: nothing to extend
        Assert.NotNull(await _cache.GetAsync(key));
        AssertTtl(TimeSpan.FromMinutes(2), await _host.Client.GetAsync(PureCache, key));
        _host.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public async Task An_absolute_expiration_in_the_past_stores_nothing_and_drops_the_previous_value()
    {
        var key = UniqueKey();
        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions());

        await _cache.SetAsync(key, [2], new DistributedCacheEntryOptions
        {
            AbsoluteExpiration = _host.Time.GetUtcNow() - TimeSpan.FromSeconds(1),
        });
        _cache.Set(UniqueKey(), [3], new DistributedCacheEntryOptions { AbsoluteExpiration = _host.Time.GetUtcNow() });

        Assert.Null(await _cache.GetAsync(key));
        Assert.False((await _host.Client.GetAsync(PureCache, key)).Found);
    }

    [Fact]
    public async Task A_sliding_entry_starts_with_its_window_and_each_read_or_refresh_slides_it_back()
    {
        var key = UniqueKey();
        var window = TimeSpan.FromMinutes(20);

        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions { SlidingExpiration = window });
        var stored = await _host.Client.GetAsync(PureCache, key);
        AssertTtl(window, stored);
        Assert.Contains("sliding=1200000", stored.ContentType, StringComparison.Ordinal);

        _host.Time.Advance(TimeSpan.FromMinutes(15));
        AssertTtl(TimeSpan.FromMinutes(5), await _host.Client.GetAsync(PureCache, key)); // idle: it runs down
        Assert.Equal([1], await _cache.GetAsync(key));
        AssertTtl(window, await _host.Client.GetAsync(PureCache, key)); // read: slid back to the full window

        _host.Time.Advance(TimeSpan.FromMinutes(15));
        await _cache.RefreshAsync(key);
        AssertTtl(window, await _host.Client.GetAsync(PureCache, key));
        Assert.True(await _cache.TryGetAsync(key, new ArrayBufferWriter<byte>()));
        AssertTtl(window, await _host.Client.GetAsync(PureCache, key));

        _host.Time.Advance(window + TimeSpan.FromSeconds(1)); // a whole window without a read
        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public async Task A_sliding_window_never_reaches_past_the_absolute_deadline()
    {
        var key = UniqueKey();

        await _cache.SetAsync(key, [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(20),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(30),
        });
        AssertTtl(TimeSpan.FromMinutes(20), await _host.Client.GetAsync(PureCache, key));
        _host.Time.Advance(TimeSpan.FromMinutes(15));
        await _cache.GetAsync(key);
        AssertTtl(TimeSpan.FromMinutes(15), await _host.Client.GetAsync(PureCache, key)); // 15 left to the deadline
        _host.Time.Advance(TimeSpan.FromMinutes(14));
        await _cache.RefreshAsync(key);
        AssertTtl(TimeSpan.FromMinutes(1), await _host.Client.GetAsync(PureCache, key));
        _host.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(await _cache.GetAsync(key));
    }

    [Fact]
    public async Task An_expiration_beyond_the_namespace_max_ttl_is_capped_to_it()
    {
        await using var app = DistributedCacheServices.For(
            _host, Capped, s => s.AddSingleton<TimeProvider>(_host.Time));
        var cache = app.GetRequiredService<IDistributedCache>();
        var absolute = UniqueKey();
        var sliding = UniqueKey();

        // HybridCache writes its tag invalidations for 1000 days; the sidecar refuses a TTL over MaxTtl.
        await cache.SetAsync(absolute, [1], new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(1000),
        });
        await cache.SetAsync(sliding, [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromDays(2),
        });
        _host.Time.Advance(TimeSpan.FromMinutes(30));
        await cache.RefreshAsync(sliding);

        AssertTtl(TimeSpan.FromMinutes(30), await _host.Client.GetAsync(Capped, absolute));
        AssertTtl(TimeSpan.FromHours(1), await _host.Client.GetAsync(Capped, sliding));
    }

    [Fact]
    public async Task The_buffer_api_stores_a_multi_segment_sequence_and_writes_a_value_into_a_buffer_writer()
    {
        var key = UniqueKey();
        var parts = Enumerable.Range(0, 3).Select(i => Enumerable.Repeat((byte)i, 1000 + i).ToArray()).ToArray();
        var sequence = Sequence(parts);
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("prefix:"u8);

        await _cache.SetAsync(key, sequence, new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(3),
        });
        var found = await _cache.TryGetAsync(key, writer);
        var missing = new ArrayBufferWriter<byte>();

        Assert.False(sequence.IsSingleSegment);
        Assert.True(found);
        Assert.Equal("prefix:"u8.ToArray().Concat(parts.SelectMany(p => p)), writer.WrittenSpan.ToArray());
        AssertTtl(TimeSpan.FromMinutes(3), await _host.Client.GetAsync(PureCache, key));
        Assert.False(await _cache.TryGetAsync(UniqueKey(), missing));
        Assert.Equal(0, missing.WrittenCount);
    }

    [Fact]
    public async Task A_key_the_sidecar_rejects_fails_at_once_with_a_CacheSidecarException_that_says_why()
    {
        var control = await Assert.ThrowsAsync<CacheSidecarException>(() => _cache.GetAsync("bad\nkey"));
        var tooLong = await Assert.ThrowsAsync<CacheSidecarException>(
            () => _cache.SetAsync(new string('k', 600), [1], new DistributedCacheEntryOptions()));
        var blocking = Assert.Throws<CacheSidecarException>(() => _cache.Set("bad\u0007key", [1], new()));
        var empty = await Assert.ThrowsAsync<CacheSidecarException>(() => _cache.RemoveAsync(string.Empty));

        Assert.Equal(StatusCode.InvalidArgument, control.StatusCode);
        Assert.Contains("control characters", control.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Contains("at most 512", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, blocking.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        await Assert.ThrowsAsync<ArgumentNullException>(() => _cache.GetAsync(null!));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/vnd.cachesidecar.distributed-cache; sliding=99999999999999999999; absolute=soon")]
    [InlineData("application/vnd.cachesidecar.distributed-cache; sliding=9223372036854775807")]
    public async Task A_value_another_client_wrote_is_read_as_it_is_whatever_its_content_type(string contentType)
    {
        var key = UniqueKey();
        await _host.Client.PutAsync(new PutRequest
        {
            Namespace = PureCache,
            Key = key,
            Value = Google.Protobuf.ByteString.CopyFromUtf8("{\"n\":1}"),
            ContentType = contentType,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(4)),
        });

        var read = await _cache.GetAsync(key);

        Assert.Equal("{\"n\":1}"u8.ToArray(), read);
        AssertTtl(TimeSpan.FromMinutes(4), await _host.Client.GetAsync(PureCache, key)); // nothing to slide
    }

    [Fact]
    public async Task A_cancelled_call_throws_OperationCanceledException()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cache.GetAsync(UniqueKey(), cancelled.Token));
    }

    private TimeSpan TtlOf(string key) =>
        _host.Client.Get(new GetRequest { Namespace = PureCache, Key = key }).TtlRemaining.ToTimeSpan();

    private static void AssertTtl(TimeSpan expected, GetResponse stored)
    {
        Assert.True(stored.Found);
        Assert.InRange(stored.TtlRemaining.ToTimeSpan(), expected - Tolerance, expected);
    }

    /// <summary>One segment per part, as a pipe or a pooled writer hands them over.</summary>
    internal static ReadOnlySequence<byte> Sequence(params byte[][] parts)
    {
        var first = new Segment(parts[0], null);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = new Segment(part, last);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, Segment? previous)
        {
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
