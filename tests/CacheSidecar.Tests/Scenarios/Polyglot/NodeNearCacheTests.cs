using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.Deployment;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace CacheSidecar.Tests.Scenarios.Polyglot;

/// <summary>
/// The Node client's near cache (tests/polyglot/node/nearcache.mjs: a Map per namespace kept coherent
/// by WatchInvalidations), driven line by line through watch.mjs against real sidecar processes, whose
/// real clocks send the heartbeats the client's watchdog expects: a value written through another
/// sidecar leaves the map within a bound and is read anew; a hit costs no RPC; a namespace that does not
/// publish is never cached; a sidecar that falls silent makes the client clear, bypass and watch again.
/// The rules in isolation (every race, eviction, back-off) are nearcache.test.mjs, run here too.
/// </summary>
public sealed partial class NodeNearCacheTests(RedisSingleFixture redis)
{
    private const string Watched = TestNamespaces.Watched;

    /// <summary>A default namespace (src/Sidecar/appsettings.json) that does not publish its invalidations.</summary>
    private const string NotPublished = "carts";

    /// <summary>
    /// How long the Node map may go on holding a value after the write through the other sidecar returned.
    /// Delivery is one Redis pub/sub message and one stream event, milliseconds; the rest is room for a
    /// loaded machine.
    /// </summary>
    private static readonly TimeSpan DropBound = TimeSpan.FromSeconds(5);

    /// <summary>Bounds every other wait for a line: a Get's answer, the first SYNCED, a reconnect.</summary>
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(10);

    private static readonly string NodeDirectory = Path.Combine(RepositoryPaths.Root, "tests", "polyglot", "node");

    [Fact]
    public async Task A_value_written_through_another_sidecar_leaves_the_node_near_cache_within_the_bound()
    {
        AssertNodeModulesInstalled();
        var token = NewToken();
        var prefix = NewPrefix(); // both sidecars: one deployment on one key space
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var sockets = Directory.CreateTempSubdirectory("cs-nnc-");
        try
        {
            await using var a = StartSidecar(store.ConnectionString, prefix, token, sockets);
            await using var b = StartSidecar(store.ConnectionString, prefix, token, sockets: null);
            await Task.WhenAll(
                a.WaitUntilServingAsync(TestSidecar.ServeTimeout), b.WaitUntilServingAsync(TestSidecar.ServeTimeout));
            using var channelB = GrpcChannel.ForAddress(b.Address);
            var writer = new Cache.CacheClient(channelB);
            var key = TestNamespaces.UniqueKey("node");
            await PutAsync(writer, key, "v1", token);

            // A long heartbeat (watchdog: 6 s of silence): a loaded machine must not clear the map mid-test.
            await using var node = StartWatch(SocketAddress(sockets), token, Watched, heartbeatMs: 2000);
            await node.WaitForLineAsync(line => line == $"caching ns=\"{Watched}\"", "saying it caches", LineTimeout);
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "sidecar", rpcs: 1));
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "near", rpcs: 1)); // no RPC

            await PutAsync(writer, key, "v2", token);
            await node.WaitForLineAsync(
                line => line == $"dropped ns=\"{Watched}\" keys=[\"{key}\"]", "dropping the written key", DropBound);
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v2", "sidecar", rpcs: 2));
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v2", "near", rpcs: 2));

            await node.WaitForLineAsync(line => line == "event kind=\"HEARTBEAT\"", "with a heartbeat", LineTimeout);
            Assert.True(await node.EndAsync("quit", LineTimeout) == 0, node.Describe());
            Assert.Contains($"event kind=\"KEYS\" ns=\"{Watched}\" seq=", node.Transcript, StringComparison.Ordinal);
            Assert.DoesNotContain("lost ", node.Transcript, StringComparison.Ordinal);
        }
        finally
        {
            sockets.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_node_near_cache_bypasses_its_map_while_it_cannot_follow_the_namespace()
    {
        AssertNodeModulesInstalled();
        var token = NewToken();
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var sockets = Directory.CreateTempSubdirectory("cs-nnc-");
        try
        {
            await using var sidecar = StartSidecar(store.ConnectionString, NewPrefix(), token, sockets);
            await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);
            using var channel = GrpcChannel.ForAddress(sidecar.Address);
            var writer = new Cache.CacheClient(channel);
            var key = TestNamespaces.UniqueKey("node");
            await PutAsync(writer, key, "v1", token);

            // A namespace that does not publish cannot be watched: every read goes to the sidecar.
            await using (var refused = StartWatch(SocketAddress(sockets), token, NotPublished, heartbeatMs: 1000))
            {
                await refused.WaitForLineAsync(
                    line => line.StartsWith("lost reason=\"FAILED_PRECONDITION: ", StringComparison.Ordinal),
                    "reporting FAILED_PRECONDITION",
                    LineTimeout);
                await ExpectGetAsync(refused, NotPublished, key, NotFound(NotPublished, key, rpcs: 1));
                await ExpectGetAsync(refused, NotPublished, key, NotFound(NotPublished, key, rpcs: 2));
                Assert.True(await refused.EndAsync("quit", LineTimeout) == 0, refused.Describe());
                Assert.DoesNotContain("caching ", refused.Transcript, StringComparison.Ordinal);
            }

            // A sidecar that falls silent (frozen: no heartbeat, no error) is given up after 3 heartbeat intervals.
            await using var node = StartWatch(SocketAddress(sockets), token, Watched, heartbeatMs: 1000);
            await node.WaitForLineAsync(line => line == $"caching ns=\"{Watched}\"", "saying it caches", LineTimeout);
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "sidecar", rpcs: 1));
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "near", rpcs: 1));
            sidecar.Freeze();
            try
            {
                await node.WaitForLineAsync(
                    line => line == $"bypass ns=\"{Watched}\" reason=\"no event for 3000 ms\"",
                    "bypassing after 3 s of silence",
                    LineTimeout);
                var lost = await node.WaitForLineAsync(
                    line => line.StartsWith("lost ", StringComparison.Ordinal), "giving the stream up", LineTimeout);
                Assert.Matches(LostLine(), lost);
            }
            finally
            {
                sidecar.Thaw();
            }

            // Watching again: synced anew, with an empty map.
            await node.WaitForLineAsync(line => line == $"caching ns=\"{Watched}\"", "caching again", LineTimeout);
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "sidecar", rpcs: 2));
            await ExpectGetAsync(node, Watched, key, Answer(Watched, key, "v1", "near", rpcs: 2));
            Assert.True(await node.EndAsync("quit", LineTimeout) == 0, node.Describe());
        }
        finally
        {
            sockets.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_node_near_cache_rules_hold_against_a_scripted_sidecar()
    {
        AssertNodeModulesInstalled();
        var run = await ClientProcess.RunAsync(
            "node", ["--test", "nearcache.test.mjs"], TimeSpan.FromMinutes(2), workingDirectory: NodeDirectory);

        Assert.True(run is { ExitCode: 0, TimedOut: false }, run.ToString());
        var tests = TapCount().Match(run.Output);
        var passed = TapPassed().Match(run.Output);
        Assert.True(tests.Success && passed.Success, $"no TAP summary; {run}");
        var count = int.Parse(tests.Groups["n"].Value, CultureInfo.InvariantCulture);
        Assert.True(count >= 20, $"only {count} tests ran; {run}");
        Assert.True(passed.Groups["n"].Value == tests.Groups["n"].Value, $"not every test passed; {run}");
    }

    private static void AssertNodeModulesInstalled() =>
        Assert.True(
            Directory.Exists(Path.Combine(NodeDirectory, "node_modules", "@grpc", "grpc-js")),
            "tests/polyglot/node has no node_modules: run `npm ci --prefix tests/polyglot/node` "
            + "(scripts/test.sh does).");

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static string SocketPath(DirectoryInfo sockets) => Path.Combine(sockets.FullName, "grpc.sock");

    /// <summary>The Unix domain socket as gRPC clients in every language spell it.</summary>
    private static string SocketAddress(DirectoryInfo sockets) => $"unix:{SocketPath(sockets)}";

    /// <summary>A Redis key space of its own, so the shared Redis's other tests never touch it.</summary>
    private static string NewPrefix() => $"nnc{Guid.NewGuid():N}"[..16];

    /// <summary>
    /// A sidecar on the shared Redis under <paramref name="prefix"/>, with <see cref="Watched"/> write-through
    /// and publishing its invalidations; on a Unix domain socket in <paramref name="sockets"/> too, if given.
    /// </summary>
    private SidecarProcess StartSidecar(string mongo, string prefix, string token, DirectoryInfo? sockets)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Sidecar__Redis__Configuration"] = redis.Configuration,
            ["Sidecar__Redis__KeyPrefix"] = prefix,
            ["Sidecar__Mongo__ConnectionString"] = mongo,
            ["Sidecar__Mongo__Database"] = "polyglot",
            ["Sidecar__Mongo__ServerSelectionTimeout"] = "00:00:02",
            ["Sidecar__Auth__Token"] = token,
            [$"Sidecar__Namespaces__{Watched}__Strategy"] = "WriteThrough",
            [$"Sidecar__Namespaces__{Watched}__Collection"] = "watched_items",
            [$"Sidecar__Namespaces__{Watched}__PublishInvalidations"] = "true",
        };
        if (sockets is not null)
        {
            environment["Kestrel__Endpoints__GrpcUnix__Url"] = $"http://unix:{SocketPath(sockets)}";
            environment["Kestrel__Endpoints__GrpcUnix__Protocols"] = "Http2";
        }

        return TestSidecar.Start(environment);
    }

    private static ClientSession StartWatch(string address, string token, string ns, int heartbeatMs) =>
        ClientSession.Start(
            "node",
            [
                Path.Combine(NodeDirectory, "watch.mjs"), "--address", address, "--namespace", ns,
                "--heartbeat-ms", heartbeatMs.ToString(CultureInfo.InvariantCulture),
            ],
            new Dictionary<string, string> { ["CACHESIDECAR_TOKEN"] = token },
            NodeDirectory);

    private static async Task PutAsync(Cache.CacheClient client, string key, string value, string token) =>
        await client.PutAsync(
            new PutRequest
            {
                Namespace = Watched,
                Key = key,
                Value = ByteString.CopyFromUtf8(value),
                ContentType = "application/octet-stream",
            },
            new Metadata { { "authorization", "Bearer " + token } },
            DateTime.UtcNow.Add(CallDeadline));

    /// <summary>Sends <c>get</c> and asserts the whole answer line (a failed Get answers with an error line).</summary>
    private static async Task ExpectGetAsync(ClientSession node, string ns, string key, string expected)
    {
        await node.SendAsync($"get {ns} {key}");
        var answer = await node.WaitForLineAsync(
            line => line.StartsWith("get ", StringComparison.Ordinal)
                || line.StartsWith("error ", StringComparison.Ordinal),
            "answering the get",
            LineTimeout);
        Assert.True(answer == expected, $"expected `{expected}`, got `{answer}`. {node.Describe()}");
    }

    private static string Answer(string ns, string key, string value, string from, int rpcs) =>
        $"get ns=\"{ns}\" key=\"{key}\" found=true value=\"{value}\" from=\"{from}\" rpcs={rpcs}";

    private static string NotFound(string ns, string key, int rpcs) =>
        $"get ns=\"{ns}\" key=\"{key}\" found=false value=\"\" from=\"sidecar\" rpcs={rpcs}";

    [GeneratedRegex("""^lost reason="no event for 3000 ms" retry_in_ms=\d+$""")]
    private static partial Regex LostLine();

    [GeneratedRegex(@"^# tests (?<n>\d+)$", RegexOptions.Multiline)]
    private static partial Regex TapCount();

    [GeneratedRegex(@"^# pass (?<n>\d+)$", RegexOptions.Multiline)]
    private static partial Regex TapPassed();
}
