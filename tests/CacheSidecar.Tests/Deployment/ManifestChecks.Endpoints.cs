using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CacheSidecar.Tests.Deployment;

// Where the sidecar listens: the Kestrel endpoint URLs, the probes that reach them, the ports the
// Dockerfile exposes and the port Prometheus scrapes.
internal static partial class ManifestChecks
{
    private static readonly HashSet<string> AllInterfaces = new(StringComparer.Ordinal) { "0.0.0.0", "[::]", "*", "+" };
    private static readonly HashSet<string> Loopback =
        new(StringComparer.OrdinalIgnoreCase) { "127.0.0.1", "localhost", "[::1]" };

    /// <summary>The probes are httpGet on the health endpoint's port, at the paths the sidecar serves.</summary>
    public static List<string> Probes(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar)
        {
            return problems;
        }

        var health = Endpoint(files, sidecar, HealthUrl, problems);
        if (health is { } h && !AllInterfaces.Contains(h.Host))
        {
            problems.Add($"{HealthUrl} listens on {h.Host}: the kubelet probes the pod IP, so bind it to 0.0.0.0.");
        }

        foreach (var api in new[] { GrpcUrl, HttpUrl })
        {
            if (Endpoint(files, sidecar, api, problems) is { } endpoint && !Loopback.Contains(endpoint.Host))
            {
                problems.Add($"{api} listens on {endpoint.Host}: " +
                    "the API is for the pod's own containers; bind it to 127.0.0.1.");
            }
        }

        var expectedPaths = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["livenessProbe"] = ["/healthz"],
            ["readinessProbe"] = ["/readyz"],
            ["startupProbe"] = ["/healthz", "/readyz"],
        };
        foreach (var (probeName, paths) in expectedPaths)
        {
            if (sidecar[probeName]?["httpGet"] is not JsonObject httpGet)
            {
                problems.Add($"The sidecar's {probeName} must be an httpGet probe on the health endpoint " +
                    "(the gRPC port is loopback-only and cannot be probed).");
                continue;
            }

            var path = (string?)httpGet["path"];
            if (!paths.Contains(path, StringComparer.Ordinal))
            {
                problems.Add($"The sidecar's {probeName} requests '{path}'; " +
                    $"the sidecar serves {string.Join(" or ", paths)} for it.");
            }

            var port = ResolvePort(sidecar, httpGet["port"]);
            if (health is { } endpoint && port != endpoint.Port)
            {
                problems.Add($"The sidecar's {probeName} probes port {httpGet["port"]?.ToJsonString()} " +
                    $"(= {port?.ToString(CultureInfo.InvariantCulture) ?? "undeclared"}), " +
                    $"but {HealthUrl} listens on {endpoint.Port}.");
            }
        }

        return problems;
    }

    /// <summary>
    /// The Dockerfile EXPOSEs exactly the ports the sidecar listens on, and its ENV defaults bind them
    /// as the deployment does.
    /// </summary>
    public static List<string> Ports(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar)
        {
            return problems;
        }

        var served = new[] { GrpcUrl, HttpUrl, HealthUrl }
            .Select(name => Endpoint(files, sidecar, name, problems)?.Port)
            .OfType<int>()
            .ToHashSet();
        var exposed = DeploymentFiles.Instructions(files.FinalStage, "EXPOSE")
            .SelectMany(i => i["arguments"]!.AsArray().Select(a => (string)a!))
            .Select(a => int.TryParse(a.Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                ? port
                : -1)
            .ToHashSet();
        if (!served.SetEquals(exposed))
        {
            problems.Add($"The Dockerfile EXPOSEs {Join(exposed)} but the sidecar listens on {Join(served)} " +
                $"({GrpcUrl}, {HttpUrl}, {HealthUrl}).");
        }

        // A Prometheus that discovers pods by annotation must scrape the health endpoint's port.
        var annotations = files.Objects("Deployment").Single()["spec"]?["template"]?["metadata"]?["annotations"];
        var scrapePort = (string?)annotations?["prometheus.io/port"];
        var health = Endpoint(files, sidecar, HealthUrl, problems);
        if (scrapePort is not null && health is { } h && scrapePort != h.Port.ToString(CultureInfo.InvariantCulture))
        {
            problems.Add($"The pod's prometheus.io/port annotation is {scrapePort}, " +
                $"but /metrics is served on {HealthUrl}'s port {h.Port}.");
        }

        // The image on its own (docker run) must listen where the documentation says, too.
        var imageEnv = DockerfileEnv(files);
        foreach (var (name, mustBeAllInterfaces) in new[] { (GrpcUrl, false), (HttpUrl, false), (HealthUrl, true) })
        {
            var endpoint = imageEnv.TryGetValue(name, out var url) ? ParseUrl(url) : null;
            if (endpoint is null)
            {
                problems.Add($"The Dockerfile sets no usable ENV {name} (was '{url}').");
            }
            else if (mustBeAllInterfaces != AllInterfaces.Contains(endpoint.Value.Host))
            {
                problems.Add($"The Dockerfile's {name} binds {endpoint.Value.Host}: " +
                    "only the health endpoint may listen on all interfaces.");
            }
        }

        if (!imageEnv.TryGetValue("ASPNETCORE_HTTP_PORTS", out var httpPorts) || httpPorts.Length != 0)
        {
            problems.Add("The Dockerfile must clear ASPNETCORE_HTTP_PORTS " +
                "(the aspnet image listens on *:8080 by default).");
        }

        return problems;
    }

    [GeneratedRegex(@"^https?://(?<host>\[[^\]]+\]|[^:/]+):(?<port>[0-9]{1,5})/?$")]
    private static partial Regex KestrelUrl();

    private static (string Host, int Port)? ParseUrl(string? url)
    {
        var match = KestrelUrl().Match(url ?? "");
        return match.Success
            ? (match.Groups["host"].Value, int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture))
            : null;
    }

    private static (string Host, int Port)? Endpoint(
        DeploymentFiles files, JsonObject sidecar, string name, List<string> problems)
    {
        var url = Setting(files, sidecar, name);
        var endpoint = ParseUrl(url);
        if (endpoint is null)
        {
            problems.Add($"{name} is '{url}'; " +
                "expected http://<host>:<port> in the sidecar's env or the Dockerfile's ENV.");
        }

        return endpoint;
    }

    /// <summary>A probe's port: a number, or the name of one of the container's ports.</summary>
    private static int? ResolvePort(JsonObject container, JsonNode? port) => port?.GetValueKind() switch
    {
        JsonValueKind.Number => (int)port,
        JsonValueKind.String => (container["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(p => (string?)p["name"] == (string?)port).Select(p => (int?)p["containerPort"]).FirstOrDefault(),
        _ => null,
    };

    private static string Join(IEnumerable<int> ports) => string.Join(", ", ports.Order());
}
