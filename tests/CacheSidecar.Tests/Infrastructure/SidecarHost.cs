using CacheSidecar.CacheTier;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Store;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// The sidecar hosted in-process (the real Program, the real gRPC pipeline) against real Redis
/// and a real MongoDB (or wire test server) socket, with a fake clock and an instrumented store.
/// </summary>
internal sealed class SidecarHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private GrpcChannel? _channel;

    private readonly bool _kestrel;

    private SidecarHost(Dictionary<string, string?> settings, bool kestrel)
    {
        _settings = settings;
        _kestrel = kestrel;
    }

    /// <summary>This host's Redis key prefix (unique per host unless a test shares one).</summary>
    public string KeyPrefix => _settings["Sidecar:Redis:KeyPrefix"]!;

    /// <summary>True on the embedded tier (no Redis): write-behind then runs as write-through.</summary>
    public bool IsEmbedded => string.IsNullOrEmpty(_settings["Sidecar:Redis:Configuration"]);

    /// <summary>The address a real socket reaches the sidecar on (Kestrel mode only).</summary>
    public Uri? KestrelAddress { get; private set; }

    /// <summary>Controls every TTL, lease and version clock in the sidecar. Starts at the real now.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromTicks(10) };

    public InstrumentedStore Store => (InstrumentedStore)Services.GetRequiredService<IRecordStore>();

    public ICacheTier CacheTier => Services.GetRequiredService<ICacheTier>();

    public Cache.CacheClient Client => new(Channel);

    public GrpcChannel Channel => _channel ??= KestrelAddress is { } address
        ? GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 })
        : GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = Server.CreateHandler(),
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });

    public CacheSidecarClient Sdk(Action<CacheSidecarClientOptions>? configure = null)
    {
        var options = new CacheSidecarClientOptions { Address = KestrelAddress ?? Server.BaseAddress };
        configure?.Invoke(options);
        return new CacheSidecarClient(Client, Options.Create(options));
    }

    /// <param name="kestrel">Serve on a real loopback socket (HTTP/2 over TCP) instead of the in-memory test server,
    /// for behaviour the test server does not reproduce (stream resets on deadlines).</param>
    public static SidecarHost Start(string? redis, string? mongo, Action<Dictionary<string, string?>>? configure = null, bool kestrel = false)
    {
        var settings = TestNamespaces.Settings();
        settings["Sidecar:Redis:Configuration"] = redis ?? string.Empty;
        settings["Sidecar:Mongo:ConnectionString"] = mongo ?? string.Empty;
        settings["Sidecar:Mongo:Database"] = "sidecar_tests";
        settings["Sidecar:Mongo:ServerSelectionTimeout"] = "00:00:02";
        // Each host gets its own Redis key space, so hosts of parallel tests never see (or flush)
        // each other's entries; a test that wants two sidecars on one key space passes the first's prefix.
        settings["Sidecar:Redis:KeyPrefix"] = $"t{Guid.NewGuid():N}"[..12];
        settings["Sidecar:Embedded:SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-tests-{Guid.NewGuid():N}.db");
        configure?.Invoke(settings);
        var host = new SidecarHost(settings, kestrel);
        if (kestrel)
        {
            var grpcPort = FreeLoopbackPorts.Next();
            settings["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{grpcPort}";
            settings["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0";
            settings["Kestrel:Endpoints:Health:Url"] = "http://127.0.0.1:0";
            host.UseKestrel();
            host.StartServer();
            host.KestrelAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        }
        else
        {
            _ = host.Server; // start now, so configuration errors surface here
        }

        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            var storeDescriptor = services.Single(d => d.ServiceType == typeof(IRecordStore));
            services.Remove(storeDescriptor);
            services.AddSingleton<IRecordStore>(sp => new InstrumentedStore((IRecordStore)storeDescriptor.ImplementationFactory!(sp)));
        });
    }

    /// <summary>Runs a call and returns the status code it failed with (OK when it succeeded).</summary>
    public static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await base.DisposeAsync();
    }
}
