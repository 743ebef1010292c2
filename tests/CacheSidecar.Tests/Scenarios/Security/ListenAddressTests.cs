using CacheSidecar.Contracts.V1;
using CacheSidecar.Hosting;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;

namespace CacheSidecar.Tests.Scenarios.Security;

/// <summary>
/// The sidecar listens on loopback by default; listening wider needs
/// <c>Sidecar:Security:AllowNonLoopbackBinding</c> and is announced with a start-up warning.
/// </summary>
public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:50051", true)]
    [InlineData("http://127.0.0.2:50051", true)]
    [InlineData("http://localhost:50051", true)]
    [InlineData("https://LOCALHOST:50051", true)]
    [InlineData("http://[::1]:50051", true)]
    [InlineData("http://unix:/run/cachesidecar.sock", true)]
    [InlineData("http://0.0.0.0:50051", false)]
    [InlineData("http://*:50051", false)]
    [InlineData("http://+:50051", false)]
    [InlineData("http://[::]:50051", false)]
    [InlineData("http://10.1.2.3:50051", false)]
    [InlineData("http://cachesidecar.example:50051", false)]
    [InlineData("http://127.0.0.1.example:50051", false)]
    [InlineData("", false)]
    public void An_endpoint_is_loopback_only_when_nothing_but_this_host_can_reach_it(string url, bool loopback) =>
        Assert.Equal(loopback, new ListenAddress("test", url).IsLoopback);

    [Fact]
    public void Configured_addresses_follow_kestrels_precedence()
    {
        static IReadOnlyList<ListenAddress> With(Dictionary<string, string?> settings) =>
            ListenAddresses.Configured(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        // Endpoints in the Kestrel section win over ASPNETCORE_URLS and ASPNETCORE_HTTP_PORTS (which
        // the official container images set to 8080): those must not make a loopback sidecar refuse.
        var endpoints = With(new() { ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:50051", ["urls"] = "http://*:80", ["http_ports"] = "8080" });
        var urls = With(new() { ["urls"] = "http://127.0.0.1:1; http://0.0.0.0:2", ["http_ports"] = "8080" });
        var ports = With(new() { ["http_ports"] = "8080;8081", ["https_ports"] = "8443" });

        Assert.Equal([new ListenAddress("Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:50051")], endpoints);
        Assert.Equal([new ListenAddress("urls", "http://127.0.0.1:1"), new ListenAddress("urls", "http://0.0.0.0:2")], urls);
        Assert.Equal(["http://*:8080", "http://*:8081", "https://*:8443"], ports.Select(a => a.Url));
        Assert.All(ports, a => Assert.False(a.IsLoopback));
        Assert.Empty(With([])); // Kestrel's own default is localhost:5000
    }

    [Fact]
    public void The_health_endpoint_may_bind_every_interface_because_it_serves_only_probes_and_metrics()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "http://0.0.0.0:50051",
            ["Kestrel:Endpoints:Health:Url"] = "http://0.0.0.0:8081",
        }).Build();

        var refused = Assert.Single(ListenAddresses.NonLoopback(configuration));
        Assert.Equal("Kestrel:Endpoints:Grpc:Url", refused.Source);
    }

    [Fact]
    public async Task Listening_on_0_0_0_0_without_the_option_refuses_to_start_naming_the_endpoint_and_the_option()
    {
        await using var sidecar = TestSidecar.Start(Embedded(), listenHost: "0.0.0.0");

        var exitCode = await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains("CacheSidecar refused to start: invalid configuration.", sidecar.Output, StringComparison.Ordinal);
        Assert.Contains($"Kestrel:Endpoints:Grpc:Url 'http://0.0.0.0:{sidecar.Address.Port}' listens beyond loopback", sidecar.Output, StringComparison.Ordinal);
        Assert.Contains("Sidecar:Security:AllowNonLoopbackBinding=true", sidecar.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", sidecar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_option_it_listens_on_0_0_0_0_and_warns_naming_the_endpoint()
    {
        var environment = Embedded();
        environment["Sidecar__Security__AllowNonLoopbackBinding"] = "true";
        await using var sidecar = TestSidecar.Start(environment, listenHost: "0.0.0.0");

        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var namespaces = await new Cache.CacheClient(channel).ListNamespacesAsync(new ListNamespacesRequest());

        Assert.NotEmpty(namespaces.Namespaces);
        var warning = Assert.Single(sidecar.Output.Split('\n'), line => line.Contains("Listening beyond loopback", StringComparison.Ordinal));
        Assert.Contains($"Kestrel:Endpoints:Grpc:Url = http://0.0.0.0:{sidecar.Address.Port}", warning, StringComparison.Ordinal);
        Assert.Contains("bearer token required: False", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_loopback_there_is_no_warning()
    {
        await using var sidecar = TestSidecar.Start(Embedded());

        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);

        Assert.DoesNotContain("Listening beyond loopback", sidecar.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Embedded() => new()
    {
        ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-bind-{Guid.NewGuid():N}.db"),
    };
}
