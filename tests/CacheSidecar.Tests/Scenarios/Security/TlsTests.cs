using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace CacheSidecar.Tests.Scenarios.Security;

/// <summary>
/// TLS from certificate files (PEM certificate and key, as a Kubernetes TLS Secret provides them),
/// configured on the Kestrel endpoint only: <c>Kestrel:Endpoints:Grpc:Url=https://…</c>,
/// <c>…:Certificate:Path</c>, <c>…:Certificate:KeyPath</c>.
/// </summary>
public sealed class TlsTests
{
    [Fact]
    public async Task With_certificate_files_the_sidecar_serves_grpc_over_tls_and_plaintext_to_that_port_fails()
    {
        using var certificate = TestCertificate.Create();
        await using var sidecar = TestSidecar.Start(
            new Dictionary<string, string?>
            {
                ["Kestrel__Endpoints__Grpc__Certificate__Path"] = certificate.CertificatePath,
                ["Kestrel__Endpoints__Grpc__Certificate__KeyPath"] = certificate.KeyPath,
                ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-tls-{Guid.NewGuid():N}.db"),
            },
            scheme: "https");
        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout, channelOptions: new GrpcChannelOptions { HttpHandler = certificate.TrustingHandler() });
        var key = TestNamespaces.UniqueKey("tls");

        using var tls = GrpcChannel.ForAddress(sidecar.Address, new GrpcChannelOptions { HttpHandler = certificate.TrustingHandler() });
        var client = new Cache.CacheClient(tls);
        var put = await client.PutAsync(new PutRequest { Namespace = "users", Key = key, Value = ByteString.CopyFromUtf8("{\"tls\":true}"), ContentType = GrpcTestExtensions.Json });
        var read = await client.GetAsync(new GetRequest { Namespace = "users", Key = key });

        Assert.Equal(put.Etag, read.Etag);
        Assert.Equal("{\"tls\":true}", read.Value.ToStringUtf8());

        // Plaintext HTTP/2 to the TLS port: the TLS handshake fails, the call never reaches the service.
        using var plaintext = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{sidecar.Address.Port}"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => new Cache.CacheClient(plaintext)
            .GetAsync(new GetRequest { Namespace = "users", Key = key }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        // A client that trusts another certificate refuses this server: the trust above is not "accept anything".
        using var other = TestCertificate.Create();
        using var mistrusting = GrpcChannel.ForAddress(sidecar.Address, new GrpcChannelOptions { HttpHandler = other.TrustingHandler() });
        var mistrusted = await Assert.ThrowsAsync<RpcException>(() => new Cache.CacheClient(mistrusting)
            .GetAsync(new GetRequest { Namespace = "users", Key = key }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);
        // Grpc.Net.Client reports a failed TLS authentication as INTERNAL.
        Assert.Equal(StatusCode.Internal, mistrusted.StatusCode);
        Assert.Contains("remote certificate was rejected", mistrusted.Status.Detail, StringComparison.Ordinal);
        Assert.False(sidecar.HasExited);
    }
}
