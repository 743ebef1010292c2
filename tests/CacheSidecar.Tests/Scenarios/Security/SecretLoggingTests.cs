using System.Text;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace CacheSidecar.Tests.Scenarios.Security;

/// <summary>
/// Secrets and values never reach the log: a real sidecar process at Trace level, with a bearer
/// token, a Redis user and password, and a MongoDB connection string with a user and password
/// (both really used: Redis ACL auth, SASL PLAIN on the wire test server), serves successful and
/// failing calls carrying a distinctive value; its whole console output is then searched.
/// </summary>
public sealed class SecretLoggingTests
{
    private const string User = "cacheapp";

    [Fact]
    public async Task At_trace_level_neither_token_nor_passwords_nor_values_reach_the_log()
    {
        var secrets = new Secrets();
        await using var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { ExtraConfigLines = AclUser(secrets.RedisPassword) });
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        store.WireServer!.PlainCredentials = (User, secrets.MongoPassword);
        await using var sidecar = TestSidecar.Start(Environment(secrets, redis, store.WireServer, secrets.RedisPassword, secrets.MongoPassword));
        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var client = new Cache.CacheClient(channel);
        var good = Bearer(secrets.Token);
        var json = ByteString.CopyFromUtf8($"{{\"secret\":\"{secrets.Value}\"}}");

        // Every strategy of the default namespaces, reads from the store and from the cache.
        foreach (var ns in new[] { "users", "products", "carts", "events", "sessions" })
        {
            var key = TestNamespaces.UniqueKey("log");
            await client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = json, ContentType = GrpcTestExtensions.Json }, good);
            await client.GetAsync(new GetRequest { Namespace = ns, Key = key }, good);
            var again = await client.GetAsync(new GetRequest { Namespace = ns, Key = key }, good);
            Assert.Equal(json, again.Value);
            await client.BatchGetAsync(new BatchGetRequest { Namespace = ns, Keys = { key, "missing" } }, good);
        }

        var binary = TestNamespaces.UniqueKey("log");
        await client.PutAsync(new PutRequest { Namespace = "sessions", Key = binary, Value = ByteString.CopyFromUtf8(secrets.Value), ContentType = "text/plain" }, good);

        // Failing calls, several of whose messages could echo what was sent.
        var failures = new (StatusCode Expected, Func<Task> Call)[]
        {
            (StatusCode.Unauthenticated, () => client.PutAsync(new PutRequest { Namespace = "users", Key = "k", Value = json, ContentType = GrpcTestExtensions.Json }).ResponseAsync),
            (StatusCode.Unauthenticated, () => client.PutAsync(new PutRequest { Namespace = "users", Key = "k", Value = json, ContentType = GrpcTestExtensions.Json }, Bearer(secrets.WrongToken)).ResponseAsync),
            (StatusCode.Unauthenticated, () => client.GetAsync(new GetRequest { Namespace = "users", Key = "k" }, Bearer(secrets.Token + "x")).ResponseAsync),
            (StatusCode.InvalidArgument, () => client.PutAsync(Json("users", $"{{\"secret\": {secrets.Value}}}"), good).ResponseAsync),
            (StatusCode.InvalidArgument, () => client.PutAsync(Json("users", $"{secrets.Value}"), good).ResponseAsync),
            (StatusCode.InvalidArgument, () => client.PutAsync(Json("users", $"{{\"{secrets.Value}\\u0000\": 1}}"), good).ResponseAsync),
            (StatusCode.InvalidArgument, () => client.PutAsync(Json("users", $"\"{secrets.Value}{new string('x', 1024 * 1024)}\""), good).ResponseAsync),
            (StatusCode.FailedPrecondition, () => client.PutAsync(new PutRequest { Namespace = "users", Key = binary, Value = json, ContentType = GrpcTestExtensions.Json, IfMatch = "1" }, good).ResponseAsync),
        };
        foreach (var (expected, call) in failures)
        {
            Assert.Equal(expected, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
        }

        var output = await StopAndCollectOutputAsync(sidecar);

        Assert.True(store.WireServer.CommandCount("saslStart") > 0, "the sidecar authenticated to the store with the password");
        Assert.Contains("Request starting HTTP/2 POST", output, StringComparison.Ordinal); // the log really was verbose
        Assert.Contains("rejected: missing or invalid bearer token", output, StringComparison.Ordinal); // and failures were logged
        Assert.Contains("is not valid JSON", output, StringComparison.Ordinal);
        secrets.AssertNoneIn(output);
    }

    [Fact]
    public async Task Wrong_store_and_cache_passwords_fail_without_the_passwords_reaching_the_log()
    {
        var secrets = new Secrets();
        await using var redis = await RedisServerProcess.StartAsync(new RedisServerOptions { ExtraConfigLines = AclUser(secrets.RedisPassword) });
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        store.WireServer!.PlainCredentials = (User, secrets.MongoPassword);
        var environment = Environment(secrets, redis, store.WireServer, redisPassword: secrets.WrongRedisPassword, mongoPassword: secrets.WrongMongoPassword);
        await using var sidecar = TestSidecar.Start(environment);
        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout, anyStatus: true);
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var client = new Cache.CacheClient(channel);

        var put = await SidecarHost.StatusOf(() => client.PutAsync(Json("users", "{\"a\":1}"), Bearer(secrets.Token)).ResponseAsync);
        var get = await SidecarHost.StatusOf(() => client.GetAsync(new GetRequest { Namespace = "users", Key = "k" }, Bearer(secrets.Token)).ResponseAsync);
        var output = await StopAndCollectOutputAsync(sidecar);

        Assert.Equal(StatusCode.Unavailable, put);
        Assert.Equal(StatusCode.Unavailable, get);
        Assert.Contains("MongoAuthenticationException", output, StringComparison.Ordinal); // both refusals were logged...
        Assert.Contains("The cache tier (Redis) is unavailable", output, StringComparison.Ordinal);
        secrets.AssertNoneIn(output); // ...without the passwords
    }

    [Theory]
    [InlineData("Sidecar:Redis:Configuration")]
    [InlineData("Sidecar:Mongo:ConnectionString")]
    public async Task A_malformed_connection_string_with_a_password_refuses_to_start_without_showing_the_password(string field)
    {
        var secrets = new Secrets();
        var environment = new Dictionary<string, string?>
        {
            ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-malformed-{Guid.NewGuid():N}.db"),
        };
        if (field == "Sidecar:Redis:Configuration")
        {
            environment["Sidecar__Redis__Configuration"] = $"127.0.0.1:1,user={User},password={secrets.RedisPassword},connectTimeout=soon";
        }
        else
        {
            environment["Sidecar__Mongo__ConnectionString"] = $"mongodb://{User}:{secrets.MongoPassword}@127.0.0.1:1:2/?directConnection=true";
        }

        await using var sidecar = TestSidecar.Start(environment);
        var exitCode = await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode); // refused like any other bad configuration, not crashed
        Assert.Contains($"{field} is not a valid", sidecar.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", sidecar.Output, StringComparison.Ordinal);
        secrets.AssertNoneIn(sidecar.Output);
    }

    // The sidecar's own user. Redis' "default" user keeps only what the test harness probes with
    // (PING, INFO, SHUTDOWN): a client whose AUTH fails falls back to "default" and must then get
    // nowhere, or a wrong password would go unnoticed.
    private static IReadOnlyList<string> AclUser(string password) =>
        [$"user {User} on >{password} ~* &* +@all", "user default on nopass -@all +ping +info +shutdown"];

    private static Dictionary<string, string?> Environment(Secrets secrets, RedisServerProcess redis, MongoWireServer store, string redisPassword, string mongoPassword) => new()
    {
        ["Logging__LogLevel__Default"] = "Trace",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
        ["Sidecar__Auth__Token"] = secrets.Token,
        ["Sidecar__Redis__Configuration"] = $"{redis.EndPoint},user={User},password={redisPassword}",
        ["Sidecar__Redis__KeyPrefix"] = $"log{Guid.NewGuid():N}"[..12],
        ["Sidecar__Mongo__ConnectionString"] = $"mongodb://{User}:{mongoPassword}@127.0.0.1:{store.Port}/?directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000&authMechanism=PLAIN",
        ["Sidecar__Mongo__Database"] = "logtest",
    };

    /// <summary>SIGTERM, then the whole output once the process has exited (nothing left in its buffers).</summary>
    private static async Task<string> StopAndCollectOutputAsync(SidecarProcess sidecar)
    {
        sidecar.Terminate();
        await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return sidecar.Output;
    }

    private static PutRequest Json(string ns, string json) =>
        new() { Namespace = ns, Key = TestNamespaces.UniqueKey("bad"), Value = ByteString.CopyFromUtf8(json), ContentType = GrpcTestExtensions.Json };

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    /// <summary>Distinctive, unique strings, and every form in which they could show up in a log.</summary>
    private sealed class Secrets
    {
        public string Token { get; } = $"tok-{Guid.NewGuid():N}";

        public string WrongToken { get; } = $"wrongtok-{Guid.NewGuid():N}";

        public string RedisPassword { get; } = $"redispw-{Guid.NewGuid():N}";

        public string WrongRedisPassword { get; } = $"wrongredispw-{Guid.NewGuid():N}";

        public string MongoPassword { get; } = $"mongopw-{Guid.NewGuid():N}";

        public string WrongMongoPassword { get; } = $"wrongmongopw-{Guid.NewGuid():N}";

        public string Value { get; } = $"secret-value-{Guid.NewGuid():N}";

        public void AssertNoneIn(string output)
        {
            Assert.False(string.IsNullOrWhiteSpace(output));
            foreach (var secret in new[] { Token, WrongToken, RedisPassword, WrongRedisPassword, MongoPassword, WrongMongoPassword, Value })
            {
                // Also as base64: protobuf's JSON form of a bytes field, and how binary values are often printed.
                var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));
                Assert.False(output.Contains(secret, StringComparison.Ordinal), $"'{secret[..8]}…' appears in the log:\n{Around(output, secret)}");
                Assert.False(output.Contains(base64[..20], StringComparison.Ordinal), $"'{secret[..8]}…' appears base64-encoded in the log");
            }
        }

        private static string Around(string output, string secret)
        {
            var at = output.IndexOf(secret, StringComparison.Ordinal);
            return output[Math.Max(0, at - 400)..Math.Min(output.Length, at + 200)];
        }
    }
}
