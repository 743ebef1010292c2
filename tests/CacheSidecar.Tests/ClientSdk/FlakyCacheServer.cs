using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// A real Kestrel gRPC server (HTTP/2 on a loopback port or a Unix domain socket) serving one
/// <see cref="FlakyCacheService"/>: the client's channel, retries and transport run exactly as against a
/// sidecar, while the test decides which attempts fail.
/// </summary>
internal sealed class FlakyCacheServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo? _socketDirectory;

    private FlakyCacheServer(WebApplication app, FlakyCacheService service, Uri address, DirectoryInfo? socketDirectory)
    {
        _app = app;
        Service = service;
        Address = address;
        _socketDirectory = socketDirectory;
    }

    /// <summary>The service, to read its attempt counts.</summary>
    public FlakyCacheService Service { get; }

    /// <summary>Where clients dial: <c>http://127.0.0.1:port</c> or <c>unix:/path/grpc.sock</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts a server on a loopback port Kestrel picks, or on a fresh socket file.</summary>
    public static async Task<FlakyCacheServer> StartAsync(FlakyCacheService service, bool unixSocket = false)
    {
        var socketDirectory = unixSocket ? Directory.CreateTempSubdirectory("cs-retry-") : null;
        var socket = socketDirectory is null ? null : Path.Combine(socketDirectory.FullName, "grpc.sock");
        var builder = WebApplication.CreateSlimBuilder();
        // Nothing from the test process's configuration: the sidecar's appsettings.json beside the tests names
        // Kestrel endpoints (port 50051...) that this server must not bind.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (socket is null)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            }
            else
            {
                kestrel.ListenUnixSocket(socket, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
        var app = builder.Build();
        app.MapGrpcService<FlakyCacheService>();
        await app.StartAsync();

        // Port 0: app.Urls holds the address Kestrel bound.
        var address = new Uri(socket is null ? app.Urls.Single() : $"unix:{socket}");
        return new FlakyCacheServer(app, service, address, socketDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _socketDirectory?.Delete(recursive: true);
    }
}
