using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>DESIGN §4, write-through, on a single Redis, a 3-master cluster and the embedded tier.</summary>
public abstract class WriteThroughTests : IAsyncDisposable
{
    private readonly SidecarHost _host;

    protected WriteThroughTests(string redis, MongoFixture mongo) => _host = SidecarHost.Start(redis, mongo.ConnectionString);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Put_writes_the_store_then_sets_the_cache_to_the_new_version()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, key, "1");
        var put = await _host.Client.PutJsonAsync(WriteThrough, key, "2");

        var read = await _host.Client.GetAsync(WriteThrough, key);

        Assert.True(put.Persisted);
        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Equal("2", read.Text());
        Assert.Equal(put.Etag, read.Etag);
        Assert.Equal(0, _host.Store.Loads); // served from the cache the Put set
        var stored = await StoreProbe.LoadAsync(_host, WriteThrough, key);
        Assert.Equal("2", stored!.Value.Span.ToArray().AsUtf8());
    }

    [Fact]
    public async Task A_put_that_took_its_version_before_a_racing_delete_lands_above_the_delete()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, key, "1");
        var tookVersion = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Store.BeforeUpsert = async (k, version) =>
        {
            if (k == key && tookVersion.TrySetResult(version))
            {
                await release.Task; // the Put has its version; the Delete overtakes it
            }
        };

        var put = _host.Client.PutJsonAsync(WriteThrough, key, "2");
        var first = await tookVersion.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _host.Time.Advance(TimeSpan.FromMilliseconds(5)); // the Delete's clock is past the Put's
        Assert.True((await _host.Client.DeleteAsync(WriteThrough, key)).Deleted);
        release.SetResult();
        var acknowledged = long.Parse((await put).Etag, System.Globalization.CultureInfo.InvariantCulture);
        _host.Store.BeforeUpsert = null;

        // The store remembered the delete's version: the Put retried above it instead of regressing the key.
        Assert.True(acknowledged > first, $"the put landed at v{acknowledged}, below the delete that overtook it (v{first} was its first try)");
        var read = await _host.Client.GetAsync(WriteThrough, key);
        Assert.Equal("2", read.Text());
        Assert.Equal(acknowledged.ToString(System.Globalization.CultureInfo.InvariantCulture), read.Etag);
        Assert.Equal(acknowledged, (await StoreProbe.LoadAsync(_host, WriteThrough, key))!.Version);
    }

    [Fact]
    public async Task A_cache_step_overtaken_by_a_newer_put_and_an_invalidate_cannot_install_its_older_value()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, key, "1");
        var stored = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Store.AfterUpsert = async (k, version) =>
        {
            if (k == key && stored.TrySetResult(version))
            {
                await release.Task; // in the store, its cache step not yet run
            }
        };

        var late = _host.Client.PutJsonAsync(WriteThrough, key, "2");
        var lateVersion = await stored.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _host.Time.Advance(TimeSpan.FromMilliseconds(5));
        var newer = await _host.Client.PutJsonAsync(WriteThrough, key, "3");
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = WriteThrough, Keys = { key } });
        release.SetResult();
        await late;
        _host.Store.AfterUpsert = null;

        // The Invalidate emptied the slot but kept the newer version as a floor: the late step is refused,
        // and the next read loads the store's newer value instead of installing "2" until the TTL.
        Assert.True(long.Parse(newer.Etag, System.Globalization.CultureInfo.InvariantCulture) > lateVersion);
        var read = await _host.Client.GetAsync(WriteThrough, key);
        Assert.Equal("3", read.Text());
        Assert.Equal(newer.Etag, read.Etag);
    }

    [Fact]
    public async Task A_cache_step_older_than_a_value_a_read_served_from_the_store_cannot_install_its_value()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, key, "1");
        // Two Puts reach the store and stop before their cache steps: the store holds "3", the cache nothing.
        var stored = new List<TaskCompletionSource<long>> { NewSignal<long>(), NewSignal<long>() };
        var releases = new[] { NewSignal(), NewSignal() };
        var held = 0;
        _host.Store.AfterUpsert = async (k, version) =>
        {
            if (k == key && Interlocked.Increment(ref held) is var n && n <= 2)
            {
                stored[n - 1].TrySetResult(version);
                await releases[n - 1].Task;
            }
        };
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = WriteThrough, Keys = { key } });
        var older = _host.Client.PutJsonAsync(WriteThrough, key, "2");
        await stored[0].Task.WaitAsync(TimeSpan.FromSeconds(10));
        _host.Time.Advance(TimeSpan.FromMilliseconds(5));
        var newer = _host.Client.PutJsonAsync(WriteThrough, key, "3");
        var newerVersion = await stored[1].Task.WaitAsync(TimeSpan.FromSeconds(10));

        // A Get loads "3"; an Invalidate kills its lease before it fills, so the cache does not get "3".
        _host.Store.AfterLoadRead = async k =>
        {
            if (k == key)
            {
                await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = WriteThrough, Keys = { key } });
            }
        };
        var served = await _host.Client.GetAsync(WriteThrough, key);
        _host.Store.AfterLoadRead = null;
        Assert.Equal("3", served.Text());

        // The older Put's cache step now arrives. It must not install "2": a read already returned "3".
        releases[0].SetResult();
        await older;
        var later = await _host.Client.GetAsync(WriteThrough, key);
        releases[1].SetResult();
        await newer;
        _host.Store.AfterUpsert = null;

        Assert.Equal("3", later.Text());
        Assert.Equal(newerVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), later.Etag);
    }

    [Fact]
    public async Task A_put_with_a_ttl_override_sets_that_ttl()
    {
        var key = UniqueKey();
        await _host.Client.PutAsync(new PutRequest
        {
            Namespace = WriteThrough,
            Key = key,
            Value = Google.Protobuf.ByteString.CopyFromUtf8("1"),
            ContentType = GrpcTestExtensions.Json,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(42)),
        });

        var read = await _host.Client.GetAsync(WriteThrough, key);

        Assert.InRange(read.TtlRemaining.ToTimeSpan(), TimeSpan.FromSeconds(41), TimeSpan.FromSeconds(42));
    }

    [Fact]
    public async Task A_cache_set_never_replaces_a_newer_version_with_an_older_one()
    {
        var key = UniqueKey();
        var ns = Policy(WriteThrough);
        var expires = _host.Time.GetUtcNow() + TimeSpan.FromMinutes(5);

        Assert.True(await _host.CacheTier.SetIfNewerAsync(ns, key, new CacheEntry("\"v200\""u8.ToArray(), GrpcTestExtensions.Json, 200, false, expires), default));
        Assert.False(await _host.CacheTier.SetIfNewerAsync(ns, key, new CacheEntry("\"v100\""u8.ToArray(), GrpcTestExtensions.Json, 100, false, expires), default));
        Assert.False(await _host.CacheTier.SetIfNewerAsync(ns, key, new CacheEntry("\"again\""u8.ToArray(), GrpcTestExtensions.Json, 200, false, expires), default));

        var read = await _host.Client.GetAsync(WriteThrough, key);
        Assert.Equal("\"v200\"", read.Text());
        Assert.Equal("200", read.Etag);
    }

    [Fact]
    public async Task Concurrent_puts_leave_the_cache_at_the_stores_version()
    {
        var key = UniqueKey();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _host.Client.PutJsonAsync(WriteThrough, key, i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        var cached = await _host.Client.GetAsync(WriteThrough, key);
        var stored = await StoreProbe.LoadAsync(_host, WriteThrough, key);

        Assert.Equal(ValueSource.Cache, cached.Source);
        Assert.Equal(stored!.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), cached.Etag);
        Assert.Equal(stored.Value.Span.ToArray().AsUtf8(), cached.Text());
    }

    [Fact]
    public async Task Delete_removes_from_the_store_and_leaves_a_tombstone_in_the_cache()
    {
        var key = UniqueKey();
        var put = await _host.Client.PutJsonAsync(WriteThrough, key, "1");

        var deleted = await _host.Client.DeleteAsync(WriteThrough, key);
        var read = await _host.Client.GetAsync(WriteThrough, key);

        Assert.True(deleted.Deleted);
        Assert.False(read.Found);
        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Null(await StoreProbe.LoadAsync(_host, WriteThrough, key));

        // A late set of the version that existed before the delete cannot resurrect it.
        var ns = Policy(WriteThrough);
        var late = new CacheEntry("1"u8.ToArray(), GrpcTestExtensions.Json, long.Parse(put.Etag, System.Globalization.CultureInfo.InvariantCulture), false, _host.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.False(await _host.CacheTier.SetIfNewerAsync(ns, key, late, default));
        Assert.False((await _host.Client.GetAsync(WriteThrough, key)).Found);
    }

    [Fact]
    public async Task Get_on_a_cold_cache_loads_from_the_store()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(WriteThrough, key, "1");
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = WriteThrough, Keys = { key } });

        var first = await _host.Client.GetAsync(WriteThrough, key);
        var second = await _host.Client.GetAsync(WriteThrough, key);

        Assert.Equal(ValueSource.Store, first.Source);
        Assert.Equal(ValueSource.Cache, second.Source);
    }

    private static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CacheSidecar.Configuration.NamespacePolicy Policy(string name)
    {
        _host.Services.GetRequiredService<NamespaceRegistry>().TryGet(name, out var policy);
        return policy;
    }
}

public sealed class WriteThroughOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : WriteThroughTests(redis.Configuration, mongo);

public sealed class WriteThroughOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : WriteThroughTests(redis.Configuration, mongo);

public sealed class WriteThroughOnEmbeddedTierTests(MongoFixture mongo) : WriteThroughTests(redis: null!, mongo);
