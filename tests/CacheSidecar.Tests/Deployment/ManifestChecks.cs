namespace CacheSidecar.Tests.Deployment;

/// <summary>
/// Checks that the deployment files (k8s/*.yaml, the Dockerfile, .dockerignore) agree with what
/// the sidecar serves and reads: the ports and paths of its endpoints, its option names, its
/// policy validation, its shutdown budget. Each check returns the problems it found (empty: fine),
/// each problem a sentence that says what to fix. Schema validity itself is <c>npm test</c>'s job.
/// </summary>
/// <remarks>
/// One file per concern: ManifestChecks.PodLifecycle.cs (native sidecar, shutdown budget),
/// ManifestChecks.Endpoints.cs (probes, ports), ManifestChecks.Configuration.cs (config file,
/// policies, option names), ManifestChecks.Security.cs (hardening, references, secret placeholders),
/// ManifestChecks.ImageBuild.cs (the Dockerfile's build), ManifestChecks.UnixSocket.cs (the API socket), ManifestChecks.RuntimeKnobs.cs (GC and tiering knobs), and ManifestChecks.Lookups.cs, where the
/// checks find the pod, the sidecar and its settings in the parsed files.
/// </remarks>
internal static partial class ManifestChecks
{
    public const string HealthUrl = "Kestrel__Endpoints__Health__Url";
    public const string GrpcUrl = "Kestrel__Endpoints__Grpc__Url";
    public const string HttpUrl = "Kestrel__Endpoints__Http__Url";
    public const string ConfigFileVariable = "CACHESIDECAR_CONFIG_FILE";
    public const string ShutdownTimeoutVariable = "DOTNET_shutdownTimeoutSeconds";

    /// <summary>Every check by name, so a test reports each one on its own.</summary>
    public static IReadOnlyDictionary<string, Func<DeploymentFiles, List<string>>> All { get; } =
        new Dictionary<string, Func<DeploymentFiles, List<string>>>(StringComparer.Ordinal)
        {
            ["native sidecar"] = NativeSidecar,
            ["probes"] = Probes,
            ["ports"] = Ports,
            ["config file"] = ConfigFile,
            ["policies"] = Policies,
            ["option names"] = OptionNames,
            ["shutdown budget"] = ShutdownBudget,
            ["hardening"] = Hardening,
            ["references"] = References,
            ["secret placeholders"] = SecretPlaceholders,
            ["image build"] = ImageBuild,
            ["unix socket"] = UnixSocket,
            ["runtime knobs"] = RuntimeKnobs,
        };

    /// <summary>Every check's problems, each once (two checks can trip over the same broken reference).</summary>
    public static List<string> Everything(DeploymentFiles files) =>
        [.. All.Values.SelectMany(check => check(files)).Distinct()];
}
