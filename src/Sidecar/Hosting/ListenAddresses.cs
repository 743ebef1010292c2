using System.Net;
using CacheSidecar.Configuration;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Hosting;

/// <summary>One address Kestrel is configured to listen on, and the configuration key it came from.</summary>
internal sealed record ListenAddress(string Source, string Url)
{
    /// <summary>
    /// True when only this host can connect: a loopback IP, <c>localhost</c>, or a Unix socket /
    /// named pipe. <c>0.0.0.0</c>, <c>*</c>, <c>+</c>, <c>[::]</c>, any other IP and any other host
    /// name (Kestrel binds those to every interface) are not.
    /// </summary>
    public bool IsLoopback
    {
        get
        {
            var schemeEnd = Url.IndexOf("://", StringComparison.Ordinal);
            var rest = schemeEnd >= 0 ? Url[(schemeEnd + 3)..] : Url;
            if (rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("pipe:", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var hostEnd = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
            var host = (hostEnd > 0 ? rest[..hostEnd] : rest).Trim('[', ']');
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        }
    }
}

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
            .Select(endpoint => new ListenAddress($"Kestrel:Endpoints:{endpoint.Key}:Url", endpoint["Url"] ?? string.Empty))
            .ToList();
        if (endpoints.Count > 0)
        {
            return endpoints;
        }

        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(url => new ListenAddress("urls", url)).ToList();
        }

        return Ports(configuration, "http_ports", "http").Concat(Ports(configuration, "https_ports", "https")).ToList();
    }

    /// <summary>
    /// Addresses beyond loopback that serve the API. The Health endpoint is exempt: it answers only
    /// /healthz, /readyz and /metrics (<see cref="SidecarEndpoints.UseSidecarEndpointRoles"/>), and
    /// in Kubernetes it must bind the pod IP because the kubelet probes that.
    /// </summary>
    public static IEnumerable<ListenAddress> NonLoopback(IConfiguration configuration) =>
        Configured(configuration).Where(address => !address.IsLoopback && address.Source != $"Kestrel:Endpoints:{SidecarEndpoints.HealthEndpointName}:Url");

    private static IEnumerable<ListenAddress> Ports(IConfiguration configuration, string key, string scheme) =>
        (configuration[key] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(port => new ListenAddress(key, $"{scheme}://*:{port}"));
}

/// <summary>
/// Refuses to start when the sidecar would listen beyond loopback and
/// <c>Sidecar:Security:AllowNonLoopbackBinding</c> is not set: a sidecar serves its own pod, and
/// binding wider should be a decision, not an accident. Runs with the other option validators,
/// before Kestrel binds, so the port is never opened.
/// </summary>
internal sealed class ListenAddressValidator(IConfiguration configuration) : IValidateOptions<SidecarOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Security.AllowNonLoopbackBinding)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = ListenAddresses.NonLoopback(configuration)
            .Select(address => $"{address.Source} '{address.Url}' listens beyond loopback. Set {ListenAddresses.AllowOption}=true to allow it (and protect the port with Sidecar:Auth and TLS).")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
