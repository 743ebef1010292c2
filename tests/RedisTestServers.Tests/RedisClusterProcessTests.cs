using System.Net;
using StackExchange.Redis;
using static CacheSidecar.Testing.Redis.Tests.TestSupport;

namespace CacheSidecar.Testing.Redis.Tests;

/// <summary>One 3-master cluster shared by the read-mostly cluster tests (creation takes a couple of seconds).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public RedisClusterProcess Cluster { get; private set; } = null!;

    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await RedisClusterProcess.StartAsync(3, TestContext.Current.CancellationToken);
        Redis = await ConnectAsync(Cluster.Configuration, allowAdmin: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

public sealed class RedisClusterProcessTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly string[] HashTags = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];

    [Fact(Timeout = 60_000)]
    public async Task Every_node_reports_cluster_state_ok_with_all_slots_assigned()
    {
        Assert.Equal(3, fixture.Cluster.Nodes.Count);
        Assert.Equal(string.Join(',', fixture.Cluster.Nodes.Select(n => n.EndPoint)), fixture.Cluster.Configuration);
        Assert.Equal(3, fixture.Cluster.Nodes.Select(n => n.Port).Distinct().Count());

        foreach (var node in fixture.Cluster.Nodes)
        {
            var server = fixture.Redis.GetServer(node.EndPoint);
            Assert.Equal(ServerType.Cluster, server.ServerType);
            var info = (string?)await server.ExecuteAsync("CLUSTER", "INFO");
            Assert.Contains("cluster_state:ok", info, StringComparison.Ordinal);
            Assert.Contains($"cluster_slots_assigned:{RedisClusterProcess.HashSlotCount}", info, StringComparison.Ordinal);
            Assert.Contains("cluster_known_nodes:3", info, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Hash_tagged_keys_land_on_at_least_two_different_nodes()
    {
        var db = fixture.Redis.GetDatabase();
        var keys = HashTags.Select(tag => (RedisKey)$"{{{tag}}}:spread").ToArray();
        foreach (var key in keys)
        {
            Assert.True(await db.StringSetAsync(key, "x"));
        }

        // Ask each node which of the keys it actually stores (KEYS only sees the node's own keyspace).
        var holder = new Dictionary<string, EndPoint>(StringComparer.Ordinal);
        foreach (var endPoint in fixture.Redis.GetEndPoints())
        {
            var server = fixture.Redis.GetServer(endPoint);
            await foreach (var key in server.KeysAsync(pattern: "*:spread"))
            {
                holder.Add(key!, endPoint);

                // The node's own CLUSTER KEYSLOT agrees with the client's slot map about where the key belongs.
                var slot = (int)await server.ExecuteAsync("CLUSTER", "KEYSLOT", (string)key!);
                Assert.Equal(fixture.Redis.HashSlot(key), slot);
                Assert.Equal(endPoint, server.ClusterConfiguration!.GetBySlot(slot)!.EndPoint);
            }
        }

        Assert.Equal(keys.Select(k => (string)k!).Order(), holder.Keys.Order());
        Assert.True(holder.Values.Distinct().Count() >= 2, $"All keys landed on one node: {string.Join(", ", holder)}");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_multi_key_Lua_script_on_one_hash_tag_runs_in_cluster_mode()
    {
        var db = fixture.Redis.GetDatabase();
        const string script = """
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('SET', KEYS[2], ARGV[2])
            return redis.call('MGET', KEYS[1], KEYS[2])
            """;

        var result = (string[]?)await db.ScriptEvaluateAsync(
            script, ["{user:42}:name", "{user:42}:email"], ["Ada", "ada@example.org"]);

        Assert.NotNull(result);
        Assert.Equal(["Ada", "ada@example.org"], result);

        // Proof that this really is cluster mode: the client refuses keys in different slots.
        var crossSlot = await Assert.ThrowsAsync<RedisCommandException>(
            () => db.ScriptEvaluateAsync(script, ["{a}:name", "{b}:email"], ["x", "y"]));
        Assert.Contains("single slot", crossSlot.Message, StringComparison.Ordinal);
    }
}

public sealed class RedisClusterNodeRestartTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_killed_node_that_the_cluster_marked_failed_rejoins_after_RestartNodeAsync()
    {
        await using var cluster = await RedisClusterProcess.StartAsync(3, Ct);
        await using var redis = await ConnectAsync(cluster.Configuration, allowAdmin: true);
        var survivor = redis.GetServer(cluster.Nodes[0].EndPoint);

        cluster.KillNode(2);
        Assert.False(cluster.Nodes[2].IsRunning);

        // Wait (bounded) until the survivors have agreed the node is down: after the 3 s node timeout.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!((string?)await survivor.ExecuteAsync("CLUSTER", "INFO"))!.Contains("cluster_state:fail", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "The cluster never noticed the killed node.");
            await Task.Delay(100, Ct);
        }

        await cluster.RestartNodeAsync(2, Ct);

        var db = redis.GetDatabase();
        foreach (var tag in new[] { "a", "b", "c" })
        {
            var key = $"{{{tag}}}:after-restart";
            await EventuallyAsync(() => db.StringSetAsync(key, tag), TimeSpan.FromSeconds(20));
            Assert.Equal(tag, (string?)await db.StringGetAsync(key));
        }
    }
}
