using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration.Json;

namespace CacheSidecar.Hosting;

/// <summary>
/// The sidecar's listening endpoints and what each one serves (Kestrel:Endpoints in appsettings):
/// <list type="table">
/// <item><term>Grpc</term><description>127.0.0.1:50051, HTTP/2: the cache API, gRPC health,
/// reflection.</description></item>
/// <item><term>Http</term><description>127.0.0.1:8080, HTTP/1.1: the same API as HTTP/JSON (gRPC JSON
/// transcoding; a build with <c>-p:CacheSidecarAotCore=true</c> has none, so nothing is mapped
/// here).</description></item>
/// <item><term>Health</term><description>127.0.0.1:8081 (0.0.0.0:8081 in Kubernetes, where the kubelet
/// probes the pod IP), HTTP/1.1: <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> only, so probes never queue behind
/// traffic and a port reachable from outside the pod serves no data.</description></item>
/// </list>
/// </summary>
public static class SidecarEndpoints
{
    public const string HealthEndpointName = "Health";
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";

    /// <summary>The environment variable naming the mounted configuration file (a Kubernetes ConfigMap).</summary>
    public const string ConfigFileVariable = "CACHESIDECAR_CONFIG_FILE";
    public const string DefaultConfigFile = "/etc/cachesidecar/cachesidecar.json";

    private const string HealthConnectionKey = "cachesidecar.health-endpoint";

    /// <summary>
    /// Adds the mounted configuration file, reloaded on change (namespace policies are
    /// hot-reloaded from it), when it exists at start-up: no file, no watcher (each watcher holds
    /// an inotify instance, a scarce per-user resource). It sits just before the environment
    /// variables, so environment settings (connection strings from Secrets) still win over it.
    /// </summary>
    public static WebApplicationBuilder AddSidecarConfigFile(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var path = Path.GetFullPath(Environment.GetEnvironmentVariable(ConfigFileVariable) is { Length: > 0 } configured
            ? configured
            : DefaultConfigFile);
        if (!File.Exists(path))
        {
            return builder;
        }
        var source = new JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = true };
        source.ResolveFileProvider();
        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        var environment = sources.Select((s, i) => (s, i)).FirstOrDefault(pair =>
            pair.s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource);
        sources.Insert(environment.s is null ? sources.Count : environment.i, source);
        return builder;
    }

    /// <summary>
    /// Marks connections that arrive on the Health endpoint, so only health and metrics answer there, and
    /// prepares Unix socket endpoints (<see cref="UnixSocketFiles"/>).
    /// </summary>
    public static WebApplicationBuilder ConfigureSidecarEndpoints(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        UnixSocketFiles.EnsureDirectories(builder.Configuration);
        builder.Services.AddHostedService<UnixSocketFiles>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
            kestrel.Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: false)
                .Endpoint(HealthEndpointName, endpoint => endpoint.ListenOptions.Use(next => connection =>
                {
                    connection.Items[HealthConnectionKey] = true;
                    return next(connection);
                })));
        return builder;
    }

    /// <summary>On a Health-endpoint connection, anything but health and metrics is 404.</summary>
    public static IApplicationBuilder UseSidecarEndpointRoles(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            var onHealthEndpoint =
                http.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(HealthConnectionKey) == true;
            if (onHealthEndpoint
                && http.Request.Path != LivenessPath
                && http.Request.Path != ReadinessPath
                && http.Request.Path != MetricsPath)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(http);
        });

    /// <summary>Liveness: the process serves (no dependency checked). Readiness: every check tagged "ready".</summary>
    public static IEndpointRouteBuilder MapSidecarProbes(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks(
            ReadinessPath,
            new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Ready) });
        return endpoints;
    }
}
