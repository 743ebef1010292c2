using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CacheSidecar.Client;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Tests.Hosting;

/// <summary>
/// gRPC and HTTP/JSON over Unix domain sockets beside TCP (DESIGN §12): a real sidecar process listens on a
/// socket per API, the C# SDK (<c>unix:</c> address) and a plain HttpClient use them, a socket file a killed
/// sidecar left behind does not stop the next one, and only the owner and group may connect (mode 0660).
/// The Node and Python clients use a socket in PolyglotTests.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UnixSocketProcessTests
{
    [Fact]
    public async Task The_sdk_and_http_json_work_over_unix_sockets_that_only_owner_and_group_may_open()
    {
        var sockets = Directory.CreateTempSubdirectory("cs-uds-");
        try
        {
            var grpcSocket = Path.Combine(sockets.FullName, "grpc.sock");
            var httpSocket = Path.Combine(sockets.FullName, "run", "http.sock"); // a directory the sidecar creates
            LeaveStaleSocket(grpcSocket); // as a SIGKILLed sidecar leaves it: Kestrel replaces it
            await using var redis = await RedisServerProcess.StartAsync();
            await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
            await using var sidecar = TestSidecar.Start(new Dictionary<string, string?>
            {
                ["Sidecar__Redis__Configuration"] = redis.EndPoint,
                ["Sidecar__Mongo__ConnectionString"] = store.ConnectionString,
                ["Sidecar__Mongo__Database"] = "uds",
                ["Kestrel__Endpoints__GrpcUnix__Url"] = $"http://unix:{grpcSocket}",
                ["Kestrel__Endpoints__GrpcUnix__Protocols"] = "Http2",
                ["Kestrel__Endpoints__HttpUnix__Url"] = $"http://unix:{httpSocket}",
                ["Kestrel__Endpoints__HttpUnix__Protocols"] = "Http1",
            });
            await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);

            var services = new ServiceCollection();
            services.AddCacheSidecarClient(o => o.Address = new Uri($"unix:{grpcSocket}"));
            await using var provider = services.BuildServiceProvider();
            var sdk = provider.GetRequiredService<CacheSidecarClient>();
            var key = TestNamespaces.UniqueKey();
            var put = await sdk.PutAsync("users", key, new { name = "ada" });
            var read = await sdk.GetAsync<JsonElement>("users", key);
            Assert.Equal(put.ETag, read!.ETag);
            Assert.Equal("ada", read.Value.GetProperty("name").GetString());

            using var http = new HttpClient(UnixSocketAddress.Handler(new Uri($"unix:{httpSocket}")))
            {
                BaseAddress = UnixSocketAddress.HttpAddress,
            };
            var overHttp = await http.GetFromJsonAsync<JsonElement>($"/v1/namespaces/users/keys/{key}");
            Assert.Equal(put.ETag, overHttp.GetProperty("etag").GetString());

            var expected = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
            await WriteBehindProbe.WaitUntilAsync(
                () => Task.FromResult(File.GetUnixFileMode(grpcSocket) == expected && File.GetUnixFileMode(httpSocket) == expected),
                TimeSpan.FromSeconds(30),
                $"both sockets have mode 0660 (grpc: {File.GetUnixFileMode(grpcSocket)}, http: {File.GetUnixFileMode(httpSocket)})");
        }
        finally
        {
            sockets.Delete(recursive: true);
        }
    }

    /// <summary>Binds a socket file and closes it without removing it: a file nobody listens on.</summary>
    private static void LeaveStaleSocket(string path)
    {
        // A process that binds and dies without unlinking, as a SIGKILLed sidecar does (.NET's Socket would unlink
        // the file when disposed, so it cannot leave one behind).
        using var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            "/usr/bin/python3",
            ["-c", "import os, socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); os._exit(0)", path]))!;
        Assert.True(python.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(path));
    }
}
