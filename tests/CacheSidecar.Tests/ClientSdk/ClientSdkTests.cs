using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>The typed SDK over the in-process sidecar (real Redis, real store socket).</summary>
public sealed class ClientSdkTests(RedisSingleFixture redis, MongoFixture mongo) : IAsyncDisposable
{
    private sealed record Cart(string Owner, int[] Items);

    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, s => s["Sidecar:Auth:Token"] = "sdk-token", kestrel: true);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Typed_put_get_batch_delete_and_invalidate_round_trip()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var keys = new[] { UniqueKey(), UniqueKey() };

        var put = await sdk.PutAsync(WriteThrough, keys[0], new Cart("ada", [1, 2]));
        var got = await sdk.GetAsync<Cart>(WriteThrough, keys[0]);
        var batch = await sdk.BatchGetAsync<Cart>(WriteThrough, keys);
        var invalidated = await sdk.InvalidateAsync(WriteThrough, keys);
        var deleted = await sdk.DeleteAsync(WriteThrough, keys[0], put.ETag);

        Assert.True(put.Persisted);
        Assert.Equal("ada", got!.Value.Owner);
        Assert.Equal([1, 2], got.Value.Items);
        Assert.Equal(put.ETag, got.ETag);
        Assert.Equal(ValueSource.Cache, got.Source);
        Assert.NotNull(batch[0]);
        Assert.Null(batch[1]);
        Assert.Equal(2, invalidated); // the value, and the negative entry the batch cached for the missing key
        Assert.True(deleted);
        Assert.Null(await sdk.GetAsync<Cart>(WriteThrough, keys[0]));
        await sdk.InvalidateNamespaceAsync(WriteThrough);
        Assert.Contains(await sdk.ListNamespacesAsync(), n => n.Name == WriteThrough);
    }

    [Fact]
    public async Task Put_many_writes_each_item_and_reports_one_that_fails_alone()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var guarded = UniqueKey();
        await sdk.PutAsync(WriteThrough, guarded, new Cart("ada", [1]));
        var fresh = UniqueKey();

        var written = await sdk.PutManyAsync(WriteThrough, [KeyValuePair.Create(fresh, new Cart("bob", [2]))]);
        var refused = await sdk.PutManyAsync(
            WriteThrough, [KeyValuePair.Create(guarded, new Cart("eve", [3]))], new PutOptions(IfMatch: "1"));

        Assert.True(written.Single().Succeeded);
        Assert.Equal(written.Single().Result!.ETag, (await sdk.GetAsync<Cart>(WriteThrough, fresh))!.ETag);
        Assert.Equal(StatusCode.FailedPrecondition, refused.Single().Status);
        Assert.Null(refused.Single().Result);
        Assert.Equal("ada", (await sdk.GetAsync<Cart>(WriteThrough, guarded))!.Value.Owner);
        var empty = await Assert.ThrowsAsync<CacheSidecarException>(
            () => sdk.PutManyAsync(WriteThrough, Array.Empty<KeyValuePair<string, Cart>>()));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }

    [Fact]
    public async Task Touch_gives_a_cached_value_a_new_ttl_and_reports_a_key_that_is_not_cached()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var key = UniqueKey();
        await sdk.PutAsync(WriteThrough, key, new Cart("ada", [1]));

        Assert.True(await sdk.TouchAsync(WriteThrough, key, TimeSpan.FromMinutes(3)));
        Assert.False(await sdk.TouchAsync(WriteThrough, UniqueKey(), TimeSpan.FromMinutes(3)));
        var read = await sdk.GetAsync<Cart>(WriteThrough, key);
        Assert.InRange(read!.TtlRemaining!.Value, TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task AddAsync_creates_once_and_TryAddAsync_answers_null_for_a_key_that_exists()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var key = UniqueKey();

        var added = await sdk.AddAsync(WriteThrough, key, new Cart("ada", [1]));
        var again = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.AddAsync(WriteThrough, key, new Cart("bob", [2])));
        var tried = await sdk.TryAddAsync(WriteThrough, key, new Cart("bob", [2]));

        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Null(tried);
        var read = await sdk.GetAsync<Cart>(WriteThrough, key);
        Assert.Equal("ada", read!.Value.Owner);
        Assert.Equal(added.ETag, read.ETag);
        Assert.NotNull(await sdk.TryAddAsync(WriteThrough, UniqueKey(), new Cart("cy", [])));
    }

    [Fact]
    public async Task IncrementAsync_returns_the_new_value_and_GetAsync_reads_the_counter_as_a_long()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var key = UniqueKey();

        Assert.Equal(1, await sdk.IncrementAsync(Wb, key));
        Assert.Equal(-9, await sdk.IncrementAsync(Wb, key, -10, TimeSpan.FromMinutes(1)));
        var overflow = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.IncrementAsync(Wb, key, long.MinValue));

        Assert.Equal(StatusCode.OutOfRange, overflow.StatusCode);
        Assert.Equal(-9L, (await sdk.GetAsync<long>(Wb, key))!.Value);
    }

    [Fact]
    public async Task Tags_on_put_options_are_invalidated_by_InvalidateTagsAsync()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var tagged = UniqueKey();
        var untagged = UniqueKey();
        await sdk.PutAsync(WriteThrough, tagged, new Cart("ada", [1]), new PutOptions(Tags: ["cart-of:ada"]));
        await sdk.PutManyAsync(WriteThrough, [KeyValuePair.Create(untagged, new Cart("bob", []))], new PutOptions(Tags: ["cart-of:bob"]));

        await sdk.InvalidateTagsAsync(WriteThrough, ["cart-of:ada"]);

        Assert.Equal(ValueSource.Store, (await sdk.GetAsync<Cart>(WriteThrough, tagged))!.Source);
        Assert.Equal(ValueSource.Cache, (await sdk.GetAsync<Cart>(WriteThrough, untagged))!.Source);
        await sdk.InvalidateTagsAsync(WriteThrough, ["cart-of:bob"]);
        Assert.Equal(ValueSource.Store, (await sdk.GetAsync<Cart>(WriteThrough, untagged))!.Source);
    }

    [Fact]
    public async Task Failures_surface_as_an_exception_carrying_the_grpc_status()
    {
        var sdk = _host.Sdk(o => o.BearerToken = "sdk-token");
        var unauthenticated = _host.Sdk();

        var notFound = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.GetAsync<Cart>("nope", "k"));
        var conflict = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.PutAsync(CacheAside, UniqueKey(), new Cart("x", []), new PutOptions(IfMatch: "123")));
        var noToken = await Assert.ThrowsAsync<CacheSidecarException>(() => unauthenticated.GetAsync<Cart>(CacheAside, "k"));

        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, conflict.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, noToken.StatusCode);
    }

    [Fact]
    public async Task The_default_deadline_applies_to_every_call()
    {
        var sdk = _host.Sdk(o =>
        {
            o.BearerToken = "sdk-token";
            o.DefaultDeadline = TimeSpan.FromMilliseconds(1);
        });
        _host.Store.LoadDelay = TimeSpan.FromSeconds(5);

        var error = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.GetAsync<Cart>(CacheAside, UniqueKey()));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task A_custom_serializer_is_used_for_values_and_content_type()
    {
        var sdk = _host.Sdk(o =>
        {
            o.BearerToken = "sdk-token";
            o.Serializer = new Utf8TextSerializer();
        });
        var key = UniqueKey();

        await sdk.PutAsync(CacheAside, key, "plain text");
        var read = await _host.Client.GetAsync(new GetRequest { Namespace = CacheAside, Key = key }, new Metadata { { "authorization", "Bearer sdk-token" } });

        Assert.Equal("text/plain", read.ContentType);
        Assert.Equal("plain text", read.Value.ToStringUtf8());
        Assert.Equal("plain text", (await sdk.GetAsync<string>(CacheAside, key))!.Value);
    }

    private sealed class Utf8TextSerializer : ICacheValueSerializer
    {
        public string ContentType => "text/plain";

        public byte[] Serialize<T>(T value) => System.Text.Encoding.UTF8.GetBytes(value?.ToString() ?? string.Empty);

        public T Deserialize<T>(ReadOnlySpan<byte> data, string contentType) => (T)(object)System.Text.Encoding.UTF8.GetString(data);
    }
}
