using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.Strategies;

/// <summary>
/// <c>OnCacheUnreachable</c> (cache-aside, write-through): <c>UseStore</c>, the default, serves from the store
/// while Redis cannot be used; <c>Fail</c> refuses, so no instance acknowledges a write that instances which do
/// reach Redis would not serve yet, and none answers from a store those instances' caches contradict.
/// </summary>
public sealed class CacheUnreachableTests(MongoFixture mongo)
{
    [Theory]
    [InlineData(CacheAside)]
    [InlineData(WriteThrough)]
    public async Task With_fail_and_redis_unreachable_calls_answer_unavailable_and_nothing_is_written(string ns)
    {
        await using var host = SidecarHost.Start($"127.0.0.1:{Ports.Unused()}", mongo.ConnectionString, Fail);
        var key = UniqueKey();

        var put = await Assert.ThrowsAsync<RpcException>(() => host.Client.PutJsonAsync(ns, key, "1"));
        var get = await Assert.ThrowsAsync<RpcException>(() => host.Client.GetAsync(ns, key));
        var delete = await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteAsync(ns, key));

        foreach (var error in new[] { put, get, delete })
        {
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("OnCacheUnreachable: Fail", error.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Contains("Nothing was written", put.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Store.Writes);
        Assert.Equal(0, host.Store.Loads);
        Assert.Null(await StoreProbe.LoadAsync(host, ns, key));

        // Touch is cache-only in every mode: nothing to touch without Redis.
        var touch = await Assert.ThrowsAsync<RpcException>(() => host.Client.TouchAsync(new Contracts.V1.TouchRequest
        {
            Namespace = ns, Key = key, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)),
        }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, touch.StatusCode);

        // Other namespaces keep their own behaviour, and the process keeps serving.
        Assert.True((await host.Client.PutJsonAsync(Ttl, key, "1")).Persisted);
    }

    [Theory]
    [InlineData(CacheAside, true)]
    [InlineData(WriteThrough, true)]
    [InlineData(CacheAside, false)]
    [InlineData(WriteThrough, false)]
    public async Task A_write_whose_cache_step_cannot_reach_redis_is_acknowledged_only_under_use_store(string ns,
        bool fail)
    {
        await using var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { RequireProcessControl = true });
        await using var host = SidecarHost.Start(redis.EndPoint, mongo.ConnectionString, fail ? Fail : null);
        var key = UniqueKey();
        await host.Client.PutJsonAsync(ns, key, "1"); // Redis in use: the next write passes the check before its store write
        host.Store.AfterUpsert = (k, _) =>
        {
            if (k == key)
            {
                redis.Kill(); // gone between the store write and the cache step
            }

            return Task.CompletedTask;
        };

        var status = await SidecarHost.StatusOf(() => host.Client.PutJsonAsync(ns, key, "2"));

        // Either way the store took it; only UseStore acknowledges it (its invalidation deferred).
        Assert.Equal(fail ? StatusCode.Unavailable : StatusCode.OK, status);
        Assert.Equal("2", (await StoreProbe.LoadAsync(host, ns, key))!.Value.Span.ToArray().AsUtf8());
    }

    private static void Fail(Dictionary<string, string?> settings)
    {
        settings[$"Sidecar:Namespaces:{CacheAside}:OnCacheUnreachable"] = "Fail";
        settings[$"Sidecar:Namespaces:{WriteThrough}:OnCacheUnreachable"] = "Fail";
    }
}
