using System.Net;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Hosting;

/// <summary>
/// The addresses Kestrel will listen on, read from configuration with Kestrel's own precedence:
/// endpoints under <c>Kestrel:Endpoints</c> replace <c>urls</c> (<c>ASPNETCORE_URLS</c>,
/// <c>--urls</c>), which replace <c>http_ports</c>/<c>https_ports</c> (which listen on every
/// interface). With none of them Kestrel listens on localhost:5000.
/// </summary>
internal static class ListenAddresses
{
    public const string AllowOption = "Sidecar:Security:AllowNonLoopbackBinding";

    public static IReadOnlyList<ListenAddress> Configured(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(endpoint =>
                new ListenAddress($"Kestrel:Endpoints:{endpoint.Key}:Url", endpoint["Url"] ?? string.Empty))
            .ToList();
        if (endpoints.Count > 0)
        {
            return endpoints;
        }

        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(url => new ListenAddress("urls", url))
                .ToList();
        }

        return Ports(configuration, "http_ports", "http").Concat(Ports(configuration, "https_ports", "https")).ToList();
    }

    /// <summary>
    /// Addresses beyond loopback that serve the API. The Health endpoint is exempt: it answers only
    /// /healthz, /readyz and /metrics (<see cref="SidecarEndpoints.UseSidecarEndpointRoles"/>), and
    /// in Kubernetes it must bind the pod IP because the kubelet probes that.
    /// </summary>
    public static IEnumerable<ListenAddress> NonLoopback(IConfiguration configuration) =>
        Configured(configuration).Where(address =>
            !address.IsLoopback
            && address.Source != $"Kestrel:Endpoints:{SidecarEndpoints.HealthEndpointName}:Url");

    private static IEnumerable<ListenAddress> Ports(IConfiguration configuration, string key, string scheme) =>
        (configuration[key] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(port => new ListenAddress(key, $"{scheme}://*:{port}"));
}
