extern alias sidecar;

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using StackExchange.Redis;
using SidecarProgram = sidecar::Program;

namespace CacheSidecar.Bench.Alloc;

/// <summary>
/// Allocations of one call end to end, client and server in this one process: the real sidecar
/// <c>Program</c> hosted by <see cref="WebApplicationFactory{TEntryPoint}"/>, called through the
/// generated gRPC client, against a real redis-server (and the MongoDB wire test server for the
/// prefill Puts). <see cref="Transport"/>: the in-memory TestServer handler (no sockets: the
/// sidecar's own work plus the client's), or Kestrel on a loopback port (adds HTTP/2 framing and
/// sockets on both ends, as in production).
/// </summary>
[MemoryDiagnoser]
public class SidecarCallAllocations
{
    private AllocHost? _host;
    private GetRequest _get = new();
    private readonly ListNamespacesRequest _list = new();

    [Params("TestServer", "Kestrel")]
    public string Transport { get; set; } = "TestServer";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = await AllocHost.StartAsync(kestrel: Transport == "Kestrel");
        _get = new GetRequest { Namespace = BenchNamespaces.GetHit, Key = _host.Key };
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>A Get that is a cache hit (checked: a miss throws, so it cannot be measured by mistake).</summary>
    [Benchmark(Description = "Get hit")]
    public async Task<int> GetHit()
    {
        var reply = await _host!.Cache.GetAsync(_get);
        return reply is { Found: true, Source: ValueSource.Cache }
            ? reply.Value.Length
            : throw new InvalidOperationException("the Get was not a cache hit");
    }

    /// <summary>The no-op RPC: ListNamespaces, answered from memory.</summary>
    [Benchmark(Description = "ListNamespaces (no-op)")]
    public async Task<int> ListNamespaces() => (await _host!.Cache.ListNamespacesAsync(_list)).Namespaces.Count;
}

/// <summary>The baseline: a GET of the same 1 KB value straight from Redis with StackExchange.Redis.</summary>
[MemoryDiagnoser]
public class RedisGetAllocations
{
    private BackingServers? _servers;
    private IDatabase? _redis;
    private readonly RedisKey _key = "bench:alloc:raw";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _servers = await BackingServers.StartAsync(CancellationToken.None);
        _redis = _servers.Redis.GetDatabase();
        await _redis.StringSetAsync(_key, Payload.JsonValue);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }
    }

    [Benchmark(Description = "direct Redis GET")]
    public async Task<long> DirectRedisGet()
    {
        var value = await _redis!.StringGetAsync(_key);
        return value.Length() == Payload.ValueBytes ? value.Length() : throw new InvalidOperationException("unexpected value");
    }
}

/// <summary>The in-process sidecar with its own redis-server and MongoDB wire test server, one key prefilled as a hit.</summary>
internal sealed class AllocHost : IAsyncDisposable
{
    private readonly BackingServers _servers;
    private readonly Factory _factory;
    private readonly GrpcChannel _channel;

    private AllocHost(BackingServers servers, Factory factory, GrpcChannel channel, string key)
    {
        _servers = servers;
        _factory = factory;
        _channel = channel;
        Cache = new Cache.CacheClient(channel);
        Key = key;
    }

    public Cache.CacheClient Cache { get; }

    public string Key { get; }

    public static async Task<AllocHost> StartAsync(bool kestrel)
    {
        var servers = await BackingServers.StartAsync(CancellationToken.None);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in BenchNamespaces.Backends(servers).WithCacheAside(BenchNamespaces.GetHit).WithFlushers(run: false))
        {
            // Environment-variable names (Sidecar__X__Y) as configuration keys (Sidecar:X:Y).
            settings[name.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        // WebApplicationFactory's documented override of the content root it would otherwise guess
        // from the solution folder: src/Sidecar, so the sidecar reads its own appsettings.json.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_CACHESIDECAR", RepositoryPaths.SidecarContentRoot);
        var factory = new Factory(settings);
        GrpcChannel channel;
        if (kestrel)
        {
            var port = FreeLoopbackPort();
            settings["Kestrel:Endpoints:Grpc:Url"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
            settings["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0";
            settings["Kestrel:Endpoints:Health:Url"] = "http://127.0.0.1:0";
            factory.UseKestrel();
            factory.StartServer();
            channel = GrpcChannel.ForAddress(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        }
        else
        {
            channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        }

        var cache = new Cache.CacheClient(channel);
        const string key = "alloc000000";
        await cache.PutAsync(new PutRequest { Namespace = BenchNamespaces.GetHit, Key = key, Value = ByteString.CopyFrom(Payload.JsonValue), ContentType = Payload.JsonContentType });
        await cache.GetAsync(new GetRequest { Namespace = BenchNamespaces.GetHit, Key = key }); // miss: fills the cache
        var hit = await cache.GetAsync(new GetRequest { Namespace = BenchNamespaces.GetHit, Key = key });
        if (hit.Source != ValueSource.Cache)
        {
            throw new BenchFailedException($"alloc: the prefilled key is not a cache hit (source {hit.Source}).");
        }

        return new AllocHost(servers, factory, channel, key);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _factory.DisposeAsync();
        await _servers.DisposeAsync();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The sidecar's Program with the bench's settings, in the Production environment.</summary>
    private sealed class Factory(Dictionary<string, string> settings) : WebApplicationFactory<SidecarProgram>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            // Sidecar logs at Information would be written per start-up only; keep the console for BenchmarkDotNet.
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }
}
