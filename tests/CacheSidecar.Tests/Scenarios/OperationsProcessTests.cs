using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// Operability, against the built sidecar as a real process: probes on their own port, metrics,
/// HTTP/JSON transcoding, JSON logs, hot-reloaded namespace policies, graceful shutdown.
/// </summary>
public sealed class OperationsProcessTests(RedisSingleFixture redis)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Probes_answer_on_the_health_port_which_serves_nothing_else_and_readiness_follows_the_store()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var sidecar = await StartAsync(new() { ["Sidecar__Redis__Configuration"] = redis.Configuration, ["Sidecar__Mongo__ConnectionString"] = store.ConnectionString });
        using var http = new HttpClient { BaseAddress = sidecar.HealthAddress, Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1/namespaces")).StatusCode); // the API is not on this port
        Assert.Contains("cachesidecar_redis_circuit_state", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var health = new Health.HealthClient(channel);
        await store.WireServer!.StopAsync();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode); // alive: do not restart it
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode); // but not ready
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = "store" })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "cache" })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task Every_rpc_is_callable_as_http_json_and_metrics_count_reads_by_source()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var sidecar = await StartAsync(new() { ["Sidecar__Redis__Configuration"] = redis.Configuration, ["Sidecar__Mongo__ConnectionString"] = store.ConnectionString });
        using var http = new HttpClient { BaseAddress = sidecar.HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
        var key = TestNamespaces.UniqueKey();
        var value = Convert.ToBase64String("{\"name\":\"ada\"}"u8.ToArray());

        var put = await http.PutAsJsonAsync($"/v1/namespaces/users/keys/{key}", new { value, contentType = "application/json" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var etag = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("etag").GetString();

        var get = await http.GetFromJsonAsync<JsonElement>($"/v1/namespaces/users/keys/{key}");
        Assert.True(get.GetProperty("found").GetBoolean());
        Assert.Equal(value, get.GetProperty("value").GetString());
        Assert.Equal(etag, get.GetProperty("etag").GetString());

        var batch = await http.PostAsJsonAsync("/v1/namespaces/users/keys:batchGet", new { keys = new[] { key, "missing-" + key } });
        var items = (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items");
        Assert.Equal(2, items.GetArrayLength());
        Assert.True(items[0].GetProperty("result").GetProperty("found").GetBoolean());

        var batchPut = await http.PostAsJsonAsync("/v1/namespaces/users/keys:batchPut",
            new { items = new[] { new { key = "bp-" + key, value, contentType = "application/json" } } });
        var written = (await batchPut.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items");
        Assert.Equal(1, written.GetArrayLength());
        Assert.False(string.IsNullOrEmpty(written[0].GetProperty("etag").GetString()), written.ToString());

        var touch = await http.PostAsJsonAsync($"/v1/namespaces/users/keys/{key}:touch", new { ttl = "60s" });
        var touched = await touch.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(touched.GetProperty("found").GetBoolean(), touched.ToString());
        Assert.Equal("60s", touched.GetProperty("ttlRemaining").GetString());

        var counter = $"{key}-views";
        await http.PostAsJsonAsync($"/v1/namespaces/users/keys/{counter}:increment", new { delta = "40" });
        var incremented = await (await http.PostAsJsonAsync($"/v1/namespaces/users/keys/{counter}:increment", new { delta = 2 }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(42, incremented.GetProperty("value").GetInt64());
        var notCounter = await http.PostAsJsonAsync($"/v1/namespaces/users/keys/{key}:increment", new { delta = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, notCounter.StatusCode); // FAILED_PRECONDITION maps to 400
        Assert.Equal(9, (await notCounter.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());

        var taggedKey = $"{key}-tagged";
        string[] teamA = ["team:a"];
        await http.PutAsJsonAsync($"/v1/namespaces/users/keys/{taggedKey}", new { value = "MQ==", contentType = "application/json", tags = teamA });
        await http.GetAsync($"/v1/namespaces/users/keys/{taggedKey}"); // fills the cache
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/v1/namespaces/users:invalidateTags", new { tags = teamA })).StatusCode);
        var reloaded = await http.GetFromJsonAsync<JsonElement>($"/v1/namespaces/users/keys/{taggedKey}");
        Assert.Equal("VALUE_SOURCE_STORE", reloaded.GetProperty("source").GetString());

        var create = await http.PutAsJsonAsync($"/v1/namespaces/users/keys/{key}", new { value = "MQ==", contentType = "application/json", ifNoneMatch = "*" });
        Assert.Equal(9, (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/v1/namespaces/users:invalidate", new { keys = new[] { key } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/v1/namespaces/users/keys/{key}")).StatusCode);
        Assert.False((await http.GetFromJsonAsync<JsonElement>($"/v1/namespaces/users/keys/{key}")).GetProperty("found").GetBoolean());
        Assert.Contains("users", await http.GetStringAsync("/v1/namespaces"), StringComparison.Ordinal);

        var unknown = await http.GetAsync($"/v1/namespaces/nope/keys/{key}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode); // gRPC NOT_FOUND maps to 404
        Assert.Equal(5, (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());

        using var healthHttp = new HttpClient { BaseAddress = sidecar.HealthAddress };
        var metrics = await healthHttp.GetStringAsync("/metrics");
        Assert.Contains("cachesidecar_reads_total{otel_scope_name=\"CacheSidecar\",found=\"true\",namespace=\"users\",source=\"store\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("cachesidecar_rpc_duration_seconds_bucket{otel_scope_name=\"CacheSidecar\",namespace=\"users\",rpc=\"Put\",status=\"OK\"", metrics, StringComparison.Ordinal);
        Assert.Contains("cachesidecar_store_duration_seconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_can_be_json_one_object_per_line()
    {
        await using var sidecar = await StartAsync(new() { ["Logging__Console__FormatterName"] = "json" });

        var lines = sidecar.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var parsed = lines.Select(line => JsonDocument.Parse(line)).ToList(); // throws if a line is not JSON
        Assert.Contains(parsed, doc => doc.RootElement.GetProperty("EventId").GetInt32() == 1 && doc.RootElement.GetProperty("Message").GetString()!.StartsWith("CacheSidecar starting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Namespace_policies_reload_from_the_mounted_file_and_an_invalid_reload_keeps_the_previous_policy()
    {
        var directory = Directory.CreateTempSubdirectory("cachesidecar-config-");
        var file = Path.Combine(directory.FullName, "cachesidecar.json");
        await File.WriteAllTextAsync(file, Policy("00:10:00"));
        await using var sidecar = await StartAsync(new() { ["CACHESIDECAR_CONFIG_FILE"] = file });
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var client = new Cache.CacheClient(channel);
        Assert.Equal(TimeSpan.FromMinutes(10), await TtlOfHotAsync(client));

        using var writes = new CancellationTokenSource();
        var writer = KeepWritingAsync(client, writes.Token); // calls in flight across every reload
        await File.WriteAllTextAsync(file, Policy("00:00:30"));
        await WriteBehindProbe.WaitUntilAsync(async () => await TtlOfHotAsync(client) == TimeSpan.FromSeconds(30), Bound, "the new TTL is in effect");
        var key = TestNamespaces.UniqueKey();
        await client.PutAsync(new PutRequest { Namespace = "hot", Key = key, Value = ByteString.CopyFromUtf8("1"), ContentType = "application/json" });
        Assert.InRange((await client.GetAsync(new GetRequest { Namespace = "hot", Key = key })).TtlRemaining.ToTimeSpan(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        await File.WriteAllTextAsync(file, Policy("-00:00:05"));
        await WriteBehindProbe.WaitUntilAsync(() => Task.FromResult(sidecar.Output.Contains("reload refused", StringComparison.Ordinal)), Bound, "the invalid reload is refused");
        Assert.Contains("Sidecar:Namespaces:hot:Ttl must be positive", sidecar.Output, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(30), await TtlOfHotAsync(client));

        await writes.CancelAsync();
        var (written, failed) = await writer;
        Assert.True(written > 0);
        Assert.Equal(0, failed);
    }

    [Fact]
    public async Task Sigterm_finishes_the_call_in_flight_and_exits_within_the_grace_period()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        await using var sidecar = await StartAsync(new()
        {
            ["Sidecar__Redis__Configuration"] = redis.Configuration,
            ["Sidecar__Mongo__ConnectionString"] = store.ConnectionString,
            ["DOTNET_shutdownTimeoutSeconds"] = "10",
        });
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var client = new Cache.CacheClient(channel);
        await client.GetAsync(new GetRequest { Namespace = "users", Key = TestNamespaces.UniqueKey() }); // connections up
        store.WireServer!.ResponseDelay = TimeSpan.FromSeconds(2); // the next call spends 2 s in the store

        var inFlight = client.PutAsync(new PutRequest { Namespace = "users", Key = TestNamespaces.UniqueKey(), Value = ByteString.CopyFromUtf8("1"), ContentType = "application/json" }).ResponseAsync;
        await WriteBehindProbe.WaitUntilAsync(() => Task.FromResult(store.WireServer.CommandCount("update") > 0), Bound, "the Put reached the store");
        var clock = Stopwatch.StartNew();
        sidecar.Terminate();

        var answer = await inFlight; // finished, not dropped
        Assert.True(answer.Persisted);
        Assert.Equal(0, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"exited after {clock.Elapsed}");
    }

    private static string Policy(string ttl) =>
        $$"""{ "Sidecar": { "Namespaces": { "hot": { "Strategy": "Ttl", "Ttl": "{{ttl}}" } } } }""";

    private static async Task<TimeSpan> TtlOfHotAsync(Cache.CacheClient client) =>
        (await client.ListNamespacesAsync(new ListNamespacesRequest())).Namespaces.Single(ns => ns.Name == "hot").Ttl.ToTimeSpan();

    private static async Task<(int Written, int Failed)> KeepWritingAsync(Cache.CacheClient client, CancellationToken stop)
    {
        int written = 0, failed = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await client.PutAsync(new PutRequest { Namespace = "hot", Key = "steady", Value = ByteString.CopyFromUtf8("1"), ContentType = "application/json" }, cancellationToken: CancellationToken.None); // let the last one finish
                written++;
            }
            catch (Grpc.Core.RpcException)
            {
                failed++;
            }
        }

        return (written, failed);
    }

    private static async Task<SidecarProcess> StartAsync(Dictionary<string, string?> environment)
    {
        environment.TryAdd("Sidecar__Mongo__Database", "ops_tests");
        environment.TryAdd("Sidecar__Embedded__SqlitePath", Path.Combine(Path.GetTempPath(), $"cachesidecar-ops-{Guid.NewGuid():N}.db"));
        var sidecar = TestSidecar.Start(environment);
        try
        {
            await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);
            return sidecar;
        }
        catch
        {
            await sidecar.DisposeAsync();
            throw;
        }
    }
}
