using CacheSidecar.Client;
using CacheSidecar.Client.DistributedCache;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// <c>AddCacheSidecarDistributedCache</c>, and the distributed cache over namespaces that are not a pure cache
/// (a store keeps values after their cache entry expires) or do not exist. Real sidecar, Redis and store socket.
/// </summary>
public sealed class DistributedCacheRegistrationTests(RedisSingleFixture redis, MongoFixture mongo)
    : IAsyncDisposable
{
    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, kestrel: true);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task One_call_registers_one_singleton_for_both_interfaces_over_the_sdk_client_and_wins_over_memory()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDistributedMemoryCache(); // a default some library registered earlier
        services.Configure<CacheSidecarClientOptions>(o => o.Address = _host.KestrelAddress!);
        services.AddCacheSidecarDistributedCache(o => o.Namespace = PureCache);
        await using var app = services.BuildServiceProvider();
        var key = UniqueKey();

        var cache = app.GetRequiredService<IDistributedCache>();
        await cache.SetAsync(key, [42], new DistributedCacheEntryOptions());

        Assert.Same(cache, app.GetRequiredService<IBufferDistributedCache>());
        Assert.Same(cache, app.GetRequiredService<IDistributedCache>());
        Assert.NotNull(app.GetService<CacheSidecarClient>()); // the SDK's own registration, made for us
        Assert.Equal([42], (await _host.Client.GetAsync(PureCache, key)).Value.ToByteArray());
    }

    [Fact]
    public async Task A_namespace_is_required()
    {
        var services = new ServiceCollection();
        services.AddCacheSidecarDistributedCache(o => o.Namespace = " ");
        await using var app = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => app.GetRequiredService<IDistributedCache>());

        Assert.Contains("Namespace is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_namespace_fails_with_NotFound_on_reads_and_on_writes_with_an_expiration()
    {
        await using var app = DistributedCacheServices.For(_host, "no-such-namespace");
        var cache = app.GetRequiredService<IDistributedCache>();

        var read = await Assert.ThrowsAsync<CacheSidecarException>(() => cache.GetAsync(UniqueKey()));
        var write = await Assert.ThrowsAsync<CacheSidecarException>(() => cache.SetAsync(UniqueKey(), [1],
            new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }));

        Assert.Equal(StatusCode.NotFound, read.StatusCode);
        Assert.Equal(StatusCode.NotFound, write.StatusCode);
        Assert.Contains("no-such-namespace", write.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_in_a_store_backed_namespace_deletes_the_stored_value_not_only_the_cache_entry()
    {
        await using var app = DistributedCacheServices.For(_host, WriteThrough);
        var cache = app.GetRequiredService<IDistributedCache>();
        var key = UniqueKey();
        await cache.SetAsync(key, [7], new DistributedCacheEntryOptions());

        await cache.RemoveAsync(key);

        Assert.Null(await cache.GetAsync(key));
        // A Get that misses the cache loads the store: an Invalidate would have left the value there.
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = WriteThrough, Keys = { key } });
        Assert.False((await _host.Client.GetAsync(WriteThrough, key)).Found);
    }

    [Fact]
    public async Task A_sliding_expiration_is_refused_in_a_store_backed_namespace_and_nothing_is_written()
    {
        await using var app = DistributedCacheServices.For(_host, CacheAside);
        var cache = app.GetRequiredService<IBufferDistributedCache>();
        var key = UniqueKey();
        var sliding = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) };

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetAsync(key, [1], sliding));
        Assert.Throws<NotSupportedException>(() => cache.Set(key, [1], sliding));

        Assert.Contains("pure cache namespace", error.Message, StringComparison.Ordinal);
        Assert.False((await _host.Client.GetAsync(CacheAside, key)).Found);
    }

    [Fact]
    public async Task An_absolute_expiration_holds_in_a_store_backed_namespace_although_the_store_keeps_the_value()
    {
        await using var app = DistributedCacheServices.For(
            _host, WriteThrough, s => s.AddSingleton<TimeProvider>(_host.Time));
        var cache = app.GetRequiredService<IDistributedCache>();
        var key = UniqueKey();
        await cache.SetAsync(key, [9], new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5),
        });
        Assert.Equal([9], await cache.GetAsync(key));

        _host.Time.Advance(TimeSpan.FromMinutes(6));

        var stored = await _host.Client.GetAsync(WriteThrough, key);
        Assert.True(stored.Found); // loaded again from the store, with the deadline in its content type
        Assert.Equal(ValueSource.Store, stored.Source);
        Assert.Null(await cache.GetAsync(key));
        Assert.Null(cache.Get(key));
    }
}
