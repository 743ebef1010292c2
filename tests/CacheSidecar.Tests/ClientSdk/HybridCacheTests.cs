using System.Buffers;
using System.Collections.Concurrent;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// A real <see cref="HybridCache"/> (<c>AddHybridCache()</c>) with the SDK's distributed cache as its L2, in two or
/// three application instances (separate containers, so separate L1s) over one real sidecar.
/// </summary>
/// <remarks>
/// How HybridCache 10.x shares state through L2: each value is one L2 entry (a payload with its creation time and
/// tags); <c>RemoveAsync</c> removes that entry; <c>RemoveByTagAsync</c> writes the tag's invalidation time to the
/// L2 key <c>__MSFT_HCT__&lt;tag&gt;</c> (for 1000 days, which the distributed cache caps to the namespace's
/// MaxTtl). Another instance reads that time the first time it meets the tag and then keeps it for its lifetime
/// (dotnet/extensions#7411), and its L1 keeps serving what it already holds. So an instance sees another's tag
/// invalidation when it meets the tag afterwards; these tests use instances that have not met it yet, which is
/// the behaviour HybridCache actually gives.
/// </remarks>
public sealed class HybridCacheTests(RedisSingleFixture redis, MongoFixture mongo) : IAsyncDisposable
{
    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, kestrel: true);
    private readonly List<ServiceProvider> _apps = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_value_created_on_one_instance_is_read_by_another_from_L2_without_its_factory()
    {
        var (a, aWrites) = App();
        var (b, _) = App();
        var key = UniqueKey();
        var bFactoryRuns = 0;

        var created = await a.GetOrCreateAsync(key, _ => ValueTask.FromResult("made by A"));
        await aWrites.Written(key);
        var read = await b.GetOrCreateAsync(key, _ =>
        {
            Interlocked.Increment(ref bFactoryRuns);
            return ValueTask.FromResult("made by B");
        });

        Assert.Equal("made by A", created);
        Assert.Equal("made by A", read);
        Assert.Equal(0, bFactoryRuns);
        // It went through the sidecar: HybridCache's payload, with its default 5-minute expiration as the TTL.
        var stored = await _host.Client.GetAsync(PureCache, key);
        Assert.True(stored.Found);
        Assert.InRange(stored.TtlRemaining.ToTimeSpan(), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task RemoveByTagAsync_on_one_instance_makes_an_instance_that_meets_the_tag_run_its_factory()
    {
        var (a, aWrites) = App();
        var (witness, _) = App();
        var (b, _) = App();
        var key = UniqueKey();
        var tag = UniqueKey("tag");
        await a.GetOrCreateAsync(key, _ => ValueTask.FromResult("v1 by A"), tags: [tag]);
        await aWrites.Written(key);
        // Control: before the invalidation the tagged L2 entry is served to another instance as it is.
        Assert.Equal("v1 by A", await witness.GetOrCreateAsync(key, _ => ValueTask.FromResult("by witness")));

        await a.RemoveByTagAsync(tag);
        var bRead = await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2 by B"), tags: [tag]);
        var aRead = await a.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2 by A"), tags: [tag]);

        Assert.Equal("v2 by B", bRead); // B read the L2 entry and the tag's time, both through the sidecar
        Assert.Equal("v2 by A", aRead); // A knew locally
        var marker = await _host.Client.GetAsync(PureCache, "__MSFT_HCT__" + tag);
        Assert.True(marker.Found);
        // 1000 days asked, the namespace's MaxTtl (30 days by default) given: the sidecar would refuse more.
        Assert.InRange(marker.TtlRemaining.ToTimeSpan(), TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1),
            TimeSpan.FromDays(30));
    }

    [Fact]
    public async Task RemoveAsync_on_one_instance_removes_the_L2_entry_for_every_instance()
    {
        var (a, aWrites) = App();
        var (b, _) = App();
        var key = UniqueKey();
        await a.GetOrCreateAsync(key, _ => ValueTask.FromResult("v1 by A"));
        await aWrites.Written(key);

        await a.RemoveAsync(key);
        var read = await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2 by B"));

        Assert.Equal("v2 by B", read);
    }

    /// <summary>
    /// One application instance: its own container, HybridCache and L1, the sidecar as L2. Its L2 is wrapped in
    /// <see cref="L2Writes"/> because HybridCache hands a created value to the caller before its L2 write ends.
    /// </summary>
    private (HybridCache Cache, L2Writes Writes) App()
    {
        L2Writes? writes = null;
        var app = DistributedCacheServices.For(_host, PureCache, services =>
        {
            services.AddHybridCache();
            services.AddSingleton<IDistributedCache>(sp =>
                writes = new L2Writes(sp.GetRequiredService<IBufferDistributedCache>()));
        });
        _apps.Add(app);
        var cache = app.GetRequiredService<HybridCache>();
        return (cache, writes!);
    }

    /// <summary>
    /// The SDK's distributed cache, unchanged, plus a signal per key when a write to it has completed, so a test
    /// can wait for HybridCache's background L2 write of a value without sleeping.
    /// </summary>
    private sealed class L2Writes(IBufferDistributedCache inner) : IBufferDistributedCache
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _written = new();

        public Task Written(string key) =>
            Signal(key).Task.WaitAsync(TimeSpan.FromSeconds(10));

        public byte[]? Get(string key) => inner.Get(key);

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => inner.GetAsync(key, token);

        public bool TryGet(string key, IBufferWriter<byte> destination) => inner.TryGet(key, destination);

        public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination,
            CancellationToken token = default) => inner.TryGetAsync(key, destination, token);

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
        {
            inner.Set(key, value, options);
            Signal(key).TrySetResult();
        }

        public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options,
            CancellationToken token = default)
        {
            await inner.SetAsync(key, value, options, token);
            Signal(key).TrySetResult();
        }

        public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
        {
            inner.Set(key, value, options);
            Signal(key).TrySetResult();
        }

        public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options,
            CancellationToken token = default)
        {
            await inner.SetAsync(key, value, options, token);
            Signal(key).TrySetResult();
        }

        public void Refresh(string key) => inner.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

        public void Remove(string key) => inner.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);

        private TaskCompletionSource Signal(string key) =>
            _written.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
