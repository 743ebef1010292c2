using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CacheSidecar.Configuration;
using CacheSidecar.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.Deployment;

/// <summary>
/// Checks that the deployment files (k8s/*.yaml, the Dockerfile, .dockerignore) agree with what
/// the sidecar serves and reads: the ports and paths of its endpoints, its option names, its
/// policy validation, its shutdown budget. Each check returns the problems it found (empty: fine),
/// each problem a sentence that says what to fix. Schema validity itself is <c>npm test</c>'s job.
/// </summary>
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
        };

    /// <summary>Every check's problems, each once (two checks can trip over the same broken reference).</summary>
    public static List<string> Everything(DeploymentFiles files) => [.. All.Values.SelectMany(check => check(files)).Distinct()];

    // ----------------------------------------------------------------------------------------
    // The pod
    // ----------------------------------------------------------------------------------------

    /// <summary>The sidecar runs as a native sidecar: an init container with restartPolicy Always.</summary>
    public static List<string> NativeSidecar(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        var regular = Containers(pod, "containers").Where(c => IsSidecarImage(c)).Select(c => (string?)c["name"]).ToList();
        if (regular.Count > 0)
        {
            problems.Add($"The sidecar ({string.Join(", ", regular)}) is a regular container: make it a native sidecar " +
                "(an initContainers entry with restartPolicy: Always), so it starts before the application and stops after it.");
        }

        var natives = Containers(pod, "initContainers").Where(c => (string?)c["restartPolicy"] == "Always").ToList();
        if (natives.Count != 1 || !IsSidecarImage(natives[0]))
        {
            problems.Add($"Expected exactly one native sidecar running the cachesidecar image (initContainers with restartPolicy: Always); found {natives.Count}.");
        }

        return problems;
    }

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
                problems.Add($"{api} listens on {endpoint.Host}: the API is for the pod's own containers; bind it to 127.0.0.1.");
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
                problems.Add($"The sidecar's {probeName} must be an httpGet probe on the health endpoint (the gRPC port is loopback-only and cannot be probed).");
                continue;
            }

            var path = (string?)httpGet["path"];
            if (!paths.Contains(path, StringComparer.Ordinal))
            {
                problems.Add($"The sidecar's {probeName} requests '{path}'; the sidecar serves {string.Join(" or ", paths)} for it.");
            }

            var port = ResolvePort(sidecar, httpGet["port"]);
            if (health is { } endpoint && port != endpoint.Port)
            {
                problems.Add($"The sidecar's {probeName} probes port {httpGet["port"]?.ToJsonString()} (= {port?.ToString(CultureInfo.InvariantCulture) ?? "undeclared"}), " +
                    $"but {HealthUrl} listens on {endpoint.Port}.");
            }
        }

        return problems;
    }

    /// <summary>The Dockerfile EXPOSEs exactly the ports the sidecar listens on, and its ENV defaults bind them as the deployment does.</summary>
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
            .Select(a => int.TryParse(a.Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : -1)
            .ToHashSet();
        if (!served.SetEquals(exposed))
        {
            problems.Add($"The Dockerfile EXPOSEs {Join(exposed)} but the sidecar listens on {Join(served)} ({GrpcUrl}, {HttpUrl}, {HealthUrl}).");
        }

        // A Prometheus that discovers pods by annotation must scrape the health endpoint's port.
        var scrapePort = (string?)files.Objects("Deployment").Single()["spec"]?["template"]?["metadata"]?["annotations"]?["prometheus.io/port"];
        var health = Endpoint(files, sidecar, HealthUrl, problems);
        if (scrapePort is not null && health is { } h && scrapePort != h.Port.ToString(CultureInfo.InvariantCulture))
        {
            problems.Add($"The pod's prometheus.io/port annotation is {scrapePort}, but /metrics is served on {HealthUrl}'s port {h.Port}.");
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
                problems.Add($"The Dockerfile's {name} binds {endpoint.Value.Host}: only the health endpoint may listen on all interfaces.");
            }
        }

        if (!imageEnv.TryGetValue("ASPNETCORE_HTTP_PORTS", out var httpPorts) || httpPorts.Length != 0)
        {
            problems.Add("The Dockerfile must clear ASPNETCORE_HTTP_PORTS (the aspnet image listens on *:8080 by default).");
        }

        return problems;
    }

    /// <summary>CACHESIDECAR_CONFIG_FILE names the ConfigMap's key inside the directory the ConfigMap volume is mounted at.</summary>
    public static List<string> ConfigFile(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        if (Setting(files, sidecar, "DOTNET_USE_POLLING_FILE_WATCHER") is not { } polling || !polling.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("Set DOTNET_USE_POLLING_FILE_WATCHER=true: ConfigMap updates are symlink swaps the event-based watcher misses.");
        }

        _ = PolicyFile(files, sidecar, pod, problems); // adds what is wrong with the path, the mount or the key
        return problems;
    }

    /// <summary>The policy file binds through the sidecar's own registration and validation with no failure and no unknown key.</summary>
    public static List<string> Policies(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        if (PolicyFile(files, sidecar, pod, problems) is not { } policy)
        {
            return problems;
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(policy.Json) as JsonObject;
        }
        catch (JsonException e)
        {
            problems.Add($"ConfigMap {policy.ConfigMap} key {policy.Key} is not valid JSON: {e.Message}");
            return problems;
        }

        if (root is null || root.Count != 1 || root[SidecarOptions.SectionName]?["Namespaces"] is not JsonObject { Count: > 0 })
        {
            problems.Add($"ConfigMap {policy.ConfigMap} key {policy.Key} must be {{ \"Sidecar\": {{ \"Namespaces\": {{ … }} }} }} and define at least one namespace " +
                "(host settings belong in the container's environment).");
            return problems;
        }

        // On its own, and layered over the image's appsettings.json as the sidecar loads it: the
        // image's namespaces merge with the file's field by field.
        var bytes = Encoding.UTF8.GetBytes(policy.Json);
        var namespaces = root[SidecarOptions.SectionName]!["Namespaces"]!.AsObject().Select(p => p.Key).ToList();
        problems.AddRange(Bind($"{policy.Key}", new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)), namespaces));
        problems.AddRange(Bind($"{policy.Key} over src/Sidecar/appsettings.json", new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepositoryPaths.Root, "src", "Sidecar", "appsettings.json"), optional: false)
            .AddJsonStream(new MemoryStream(bytes)), namespaces));
        return problems;
    }

    /// <summary>Every Sidecar__… variable (pod env and Dockerfile ENV) names a real option; a typo would be ignored silently.</summary>
    public static List<string> OptionNames(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar)
        {
            return problems;
        }

        var names = Env(sidecar).Select(e => ("deployment", (string?)e["name"] ?? ""))
            .Concat(DockerfileEnv(files).Keys.Select(name => ("Dockerfile", name)));
        foreach (var (source, name) in names)
        {
            if (name.StartsWith(SidecarOptions.SectionName + "__", StringComparison.OrdinalIgnoreCase) && OptionPath.Explain(name) is { } why)
            {
                problems.Add($"{source}: {name} binds to nothing: {why}");
            }
        }

        return problems;
    }

    /// <summary>terminationGracePeriodSeconds covers the application's preStop, the sidecar's shutdown timeout (write-behind drain) and a margin.</summary>
    public static List<string> ShutdownBudget(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        const int applicationMargin = 10;
        var grace = (int?)pod["terminationGracePeriodSeconds"] ?? 30;
        var explicitTimeout = Env(sidecar).FirstOrDefault(e => (string?)e["name"] == ShutdownTimeoutVariable)?["value"];
        if (explicitTimeout is null || !int.TryParse((string?)explicitTimeout, NumberStyles.None, CultureInfo.InvariantCulture, out var shutdown))
        {
            problems.Add($"Set {ShutdownTimeoutVariable} on the sidecar (seconds) so its share of terminationGracePeriodSeconds is in the pod spec.");
            return problems;
        }

        var appPreStop = Containers(pod, "containers").Select(PreStopSleep).DefaultIfEmpty(0).Max();
        var sidecarPreStop = PreStopSleep(sidecar);
        var needed = appPreStop + sidecarPreStop + shutdown + applicationMargin;
        if (grace < needed)
        {
            problems.Add($"terminationGracePeriodSeconds {grace} < {needed}: application preStop {appPreStop} s + sidecar preStop {sidecarPreStop} s + " +
                $"{ShutdownTimeoutVariable} {shutdown} s (write-behind drain) + {applicationMargin} s for the application's own shutdown.");
        }

        return problems;
    }

    /// <summary>The sidecar runs unprivileged on a read-only root filesystem, with a writable /tmp and sized resources.</summary>
    public static List<string> Hardening(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        var container = sidecar["securityContext"] as JsonObject ?? [];
        var podContext = pod["securityContext"] as JsonObject ?? [];
        bool? Effective(string field) => (bool?)container[field] ?? (bool?)podContext[field];

        if (Effective("runAsNonRoot") != true)
        {
            problems.Add("The sidecar needs runAsNonRoot: true.");
        }

        if ((bool?)container["readOnlyRootFilesystem"] != true)
        {
            problems.Add("The sidecar needs readOnlyRootFilesystem: true.");
        }

        if ((bool?)container["allowPrivilegeEscalation"] != false)
        {
            problems.Add("The sidecar needs allowPrivilegeEscalation: false.");
        }

        if (container["capabilities"]?["drop"] is not JsonArray drop || !drop.Any(c => (string?)c == "ALL"))
        {
            problems.Add("The sidecar must drop ALL capabilities.");
        }

        if (((string?)container["seccompProfile"]?["type"] ?? (string?)podContext["seccompProfile"]?["type"]) != "RuntimeDefault")
        {
            problems.Add("The sidecar needs seccompProfile RuntimeDefault.");
        }

        var tmp = Mounts(sidecar).FirstOrDefault(m => (string?)m["mountPath"] == "/tmp");
        var tmpVolume = tmp is null ? null : Volume(pod, (string?)tmp["name"]);
        if (tmpVolume?["emptyDir"] is null)
        {
            problems.Add("With a read-only root filesystem the sidecar needs an emptyDir mounted at /tmp.");
        }

        foreach (var required in new[] { "requests.cpu", "requests.memory", "limits.memory" })
        {
            var parts = required.Split('.');
            if (sidecar["resources"]?[parts[0]]?[parts[1]] is null)
            {
                problems.Add($"The sidecar needs resources.{required}.");
            }
        }

        return problems;
    }

    /// <summary>Every Secret and ConfigMap key the pod refers to exists in k8s/, and the token file is where the Secret is mounted.</summary>
    public static List<string> References(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        void RequireKey(string kind, string? name, string? key, string usedBy)
        {
            var source = files.Objects(kind).FirstOrDefault(o => (string?)o["metadata"]?["name"] == name);
            var keys = DataFields.SelectMany(field => (source?[field] as JsonObject)?.Select(p => p.Key) ?? []);
            if (source is null)
            {
                problems.Add($"{usedBy} refers to {kind} '{name}', which no file in k8s/ defines.");
            }
            else if (key is not null && !keys.Contains(key, StringComparer.Ordinal))
            {
                problems.Add($"{usedBy} refers to key '{key}' of {kind} '{name}', which has only {string.Join(", ", keys)}.");
            }
        }

        foreach (var container in Containers(pod, "initContainers").Concat(Containers(pod, "containers")))
        {
            foreach (var env in Env(container))
            {
                var usedBy = $"env {env["name"]} of {container["name"]}";
                if (env["valueFrom"]?["secretKeyRef"] is JsonObject secretRef)
                {
                    RequireKey("Secret", (string?)secretRef["name"], (string?)secretRef["key"], usedBy);
                }

                if (env["valueFrom"]?["configMapKeyRef"] is JsonObject configMapRef)
                {
                    RequireKey("ConfigMap", (string?)configMapRef["name"], (string?)configMapRef["key"], usedBy);
                }
            }
        }

        foreach (var volume in (pod["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var (kind, source) = volume["configMap"] is JsonObject c ? ("ConfigMap", c) : volume["secret"] is JsonObject s ? ("Secret", s) : (null, null);
            if (kind is null || source is null)
            {
                continue;
            }

            var name = (string?)source["name"] ?? (string?)source["secretName"];
            RequireKey(kind, name, null, $"volume {volume["name"]}");
            foreach (var item in (source["items"] as JsonArray ?? []).OfType<JsonObject>())
            {
                RequireKey(kind, name, (string?)item["key"], $"volume {volume["name"]}");
            }
        }

        // Sidecar:Auth:TokenFile must be a file the Secret volume projects (the sidecar refuses to start otherwise).
        if (Setting(files, sidecar, "Sidecar__Auth__TokenFile") is { } tokenFile
            && ProjectedFile(pod, sidecar, tokenFile, "secret") is { Problem: { } problem })
        {
            problems.Add($"Sidecar__Auth__TokenFile '{tokenFile}': {problem}");
        }

        return problems;
    }

    /// <summary>secret.example.yaml holds placeholders only, never a real credential.</summary>
    public static List<string> SecretPlaceholders(DeploymentFiles files)
    {
        var problems = new List<string>();
        foreach (var entry in files.Manifests.OfType<JsonObject>().Where(m => (string?)m["object"]?["kind"] == "Secret"))
        {
            var file = (string?)entry["file"];
            var secret = entry["object"]!;
            if (file is null || !file.Contains(".example.", StringComparison.Ordinal))
            {
                problems.Add($"{file}: a Secret in the repository must live in a *.example.yaml file with placeholder values.");
            }

            if (secret["data"] is not null)
            {
                problems.Add($"{file}: use stringData with visible placeholders, not base64 data.");
            }

            foreach (var (key, value) in secret["stringData"] as JsonObject ?? [])
            {
                if (!((string?)value ?? "").Contains("REPLACE_ME", StringComparison.Ordinal))
                {
                    problems.Add($"{file}: stringData.{key} must be a placeholder containing REPLACE_ME, not a value.");
                }
            }
        }

        return problems;
    }

    // ----------------------------------------------------------------------------------------
    // The image
    // ----------------------------------------------------------------------------------------

    /// <summary>
    /// The Dockerfile builds what the repository holds: the right base images, every file the
    /// restore and the publish need copied (and not excluded by .dockerignore), the restore layer
    /// fed by project files only, and an ENTRYPOINT that runs the assembly the project produces.
    /// </summary>
    public static List<string> ImageBuild(DeploymentFiles files)
    {
        var problems = new List<string>();
        var root = RepositoryPaths.Root;
        var tfm = XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("TargetFramework").Single().Value; // net10.0
        var channel = tfm["net".Length..];
        var stages = files.DockerfileStages.OfType<JsonObject>().ToList();
        if (!((string?)files.FinalStage["image"] ?? "").StartsWith($"mcr.microsoft.com/dotnet/aspnet:{channel}", StringComparison.Ordinal))
        {
            problems.Add($"The final stage must be mcr.microsoft.com/dotnet/aspnet:{channel} (the ASP.NET Core runtime of {tfm}, no SDK); it is {files.FinalStage["image"]}.");
        }

        var build = stages.FirstOrDefault(s => ((string?)s["image"] ?? "").StartsWith($"mcr.microsoft.com/dotnet/sdk:{channel}", StringComparison.Ordinal));
        if (build is null)
        {
            problems.Add($"No build stage FROM mcr.microsoft.com/dotnet/sdk:{channel}.");
            return problems;
        }

        var sidecarProject = "src/Sidecar/Sidecar.csproj";
        var assemblyName = XDocument.Load(Path.Combine(root, sidecarProject)).Descendants("AssemblyName").Single().Value;
        var entrypoint = DeploymentFiles.Instructions(files.FinalStage, "ENTRYPOINT").LastOrDefault()?["json"] as JsonArray;
        var expected = new[] { "dotnet", $"{assemblyName}.dll" };
        if (entrypoint is null || !entrypoint.Select(a => (string?)a).SequenceEqual(expected))
        {
            problems.Add($"ENTRYPOINT must be [\"dotnet\", \"{assemblyName}.dll\"] (AssemblyName of {sidecarProject}); it is {entrypoint?.ToJsonString() ?? "missing"}.");
        }

        var instructions = build["instructions"]!.AsArray().OfType<JsonObject>().ToList();
        int RunIndex(string verb) => instructions.FindIndex(i => (string?)i["keyword"] == "RUN"
            && i["arguments"]!.AsArray().Any(a => (string?)a == verb) && i["arguments"]!.AsArray().Any(a => (string?)a == sidecarProject));
        var restore = RunIndex("restore");
        var publish = RunIndex("publish");
        if (restore < 0 || publish < 0 || restore > publish)
        {
            problems.Add($"The build stage must RUN dotnet restore {sidecarProject}, then dotnet publish {sidecarProject}.");
            return problems;
        }

        List<string> CopiedBefore(int index) => [.. instructions.Take(index)
            .Where(i => (string?)i["keyword"] == "COPY" && i["flags"]?["from"] is null)
            .SelectMany(i => { var args = (i["json"] as JsonArray ?? i["arguments"]!.AsArray()).Select(a => (string)a!).ToList(); return args.Take(args.Count - 1); })
            .Select(Normalize)];
        static bool IsCopied(List<string> sources, string path) =>
            sources.Any(s => s == "." || s == path || path.StartsWith(s + "/", StringComparison.Ordinal));

        // What the restore reads: the SDK pin and props at the root, and every project file of
        // the sidecar's project-reference closure. The restore layer must see nothing else, or
        // any code edit would throw away its cached packages.
        var projects = ProjectClosure(root, sidecarProject);
        var restoreInputs = RootBuildFiles
            .Where(f => File.Exists(Path.Combine(root, f)))
            .Concat(projects)
            .ToList();
        var beforeRestore = CopiedBefore(restore);
        problems.AddRange(restoreInputs.Where(f => !IsCopied(beforeRestore, f)).Select(f => $"The Dockerfile must COPY {f} before `dotnet restore`."));
        problems.AddRange(beforeRestore.Where(s => Directory.Exists(Path.Combine(root, s)) || s == ".")
            .Select(s => $"COPY {s} before `dotnet restore` copies a directory: every code change would then invalidate the cached restore layer."));

        // What the publish compiles: each project's directory and the proto files it includes.
        var beforePublish = CopiedBefore(publish);
        var publishInputs = projects.Select(p => p[..p.LastIndexOf('/')]).Concat(ProtoDirectories(root, projects)).Distinct();
        problems.AddRange(publishInputs.Where(d => !IsCopied(beforePublish, d)).Select(d => $"The Dockerfile must COPY {d}/ before `dotnet publish`."));

        foreach (var source in CopiedBefore(instructions.Count).Distinct())
        {
            if (source != "." && !File.Exists(Path.Combine(root, source)) && !Directory.Exists(Path.Combine(root, source)))
            {
                problems.Add($"COPY {source}: does not exist in the repository.");
            }
            else if (DockerIgnore.Matches(files.DockerIgnore, source) is { } pattern)
            {
                problems.Add($"COPY {source}: .dockerignore excludes it ('{pattern}').");
            }
            else if (Directory.Exists(Path.Combine(root, source)))
            {
                var lost = SourceFiles(Path.Combine(root, source))
                    .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                    .Select(f => (File: f, Pattern: DockerIgnore.Matches(files.DockerIgnore, f)))
                    .FirstOrDefault(x => x.Pattern is not null);
                if (lost.Pattern is not null)
                {
                    problems.Add($"COPY {source}: .dockerignore excludes {lost.File} ('{lost.Pattern}'), which the build needs.");
                }
            }
        }

        return problems;
    }

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    private static readonly string[] DataFields = ["data", "stringData"];

    /// <summary>Files at the repository root that decide the restore, where they exist.</summary>
    private static readonly string[] RootBuildFiles = ["global.json", "Directory.Build.props", "Directory.Packages.props", "Directory.Build.targets", "NuGet.config"];

    private static readonly HashSet<string> AllInterfaces = new(StringComparer.Ordinal) { "0.0.0.0", "[::]", "*", "+" };
    private static readonly HashSet<string> Loopback = new(StringComparer.OrdinalIgnoreCase) { "127.0.0.1", "localhost", "[::1]" };

    [GeneratedRegex(@"^https?://(?<host>\[[^\]]+\]|[^:/]+):(?<port>[0-9]{1,5})/?$")]
    private static partial Regex KestrelUrl();

    private static JsonObject? Pod(DeploymentFiles files, List<string> problems)
    {
        var deployments = files.Objects("Deployment").ToList();
        if (deployments.Count != 1 || deployments[0]["spec"]?["template"]?["spec"] is not JsonObject pod)
        {
            problems.Add($"Expected exactly one Deployment with a pod template in k8s/; found {deployments.Count}.");
            return null;
        }

        return pod;
    }

    private static JsonObject? Sidecar(DeploymentFiles files, List<string> problems)
    {
        if (Pod(files, problems) is not { } pod)
        {
            return null;
        }

        var sidecar = Containers(pod, "initContainers").Concat(Containers(pod, "containers")).FirstOrDefault(IsSidecarImage);
        if (sidecar is null)
        {
            problems.Add("No container of the Deployment runs the cachesidecar image.");
        }

        return sidecar;
    }

    private static bool IsSidecarImage(JsonObject container) =>
        ((string?)container["image"] ?? "").Contains("cachesidecar", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<JsonObject> Containers(JsonObject pod, string field) => (pod[field] as JsonArray ?? []).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Env(JsonObject container) => (container["env"] as JsonArray ?? []).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Mounts(JsonObject container) => (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>();

    private static JsonObject? Volume(JsonObject pod, string? name) =>
        (pod["volumes"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(v => (string?)v["name"] == name);

    private static Dictionary<string, string> DockerfileEnv(DeploymentFiles files) =>
        DeploymentFiles.Instructions(files.FinalStage, "ENV")
            .SelectMany(i => i["properties"]!.AsArray().OfType<JsonObject>())
            .GroupBy(p => (string)p["name"]!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (string?)g.Last()["value"] ?? "", StringComparer.Ordinal);

    /// <summary>A setting's value in the container: its literal env value, else the image's ENV default.</summary>
    private static string? Setting(DeploymentFiles files, JsonObject container, string name)
    {
        var env = Env(container).LastOrDefault(e => (string?)e["name"] == name);
        if (env is not null)
        {
            return (string?)env["value"];
        }

        return DockerfileEnv(files).TryGetValue(name, out var value) ? value : null;
    }

    private static (string Host, int Port)? ParseUrl(string? url)
    {
        var match = KestrelUrl().Match(url ?? "");
        return match.Success ? (match.Groups["host"].Value, int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture)) : null;
    }

    private static (string Host, int Port)? Endpoint(DeploymentFiles files, JsonObject sidecar, string name, List<string> problems)
    {
        var url = Setting(files, sidecar, name);
        var endpoint = ParseUrl(url);
        if (endpoint is null)
        {
            problems.Add($"{name} is '{url}'; expected http://<host>:<port> in the sidecar's env or the Dockerfile's ENV.");
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

    private static int PreStopSleep(JsonObject container) => (int?)container["lifecycle"]?["preStop"]?["sleep"]?["seconds"] ?? 0;

    private sealed record Projection(string? Problem, string? SourceName = null, string? Key = null);

    /// <summary>
    /// Which key of which ConfigMap/Secret <paramref name="path"/> is in the container: a mount of
    /// a <paramref name="volumeType"/> volume at the file's directory, not a subPath (a subPath
    /// mount never sees updates), projecting a key (or an item path) named as the file.
    /// </summary>
    private static Projection ProjectedFile(JsonObject pod, JsonObject container, string path, string volumeType)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0)
        {
            return new($"'{path}' is not an absolute file path.");
        }

        var (directory, fileName) = (path[..slash], path[(slash + 1)..]);
        var mount = Mounts(container).FirstOrDefault(m => ((string?)m["mountPath"])?.TrimEnd('/') == directory);
        if (mount is null)
        {
            return new($"no volume is mounted at {directory} in container {container["name"]}.");
        }

        if (mount["subPath"] is not null || mount["subPathExpr"] is not null)
        {
            return new($"the mount at {directory} uses subPath, which never receives ConfigMap/Secret updates; mount the whole volume.");
        }

        var volume = Volume(pod, (string?)mount["name"]);
        if (volume?[volumeType] is not JsonObject source)
        {
            return new($"the volume mounted at {directory} ({mount["name"]}) is not a {volumeType} volume.");
        }

        var name = (string?)source["name"] ?? (string?)source["secretName"];
        if (source["items"] is JsonArray items)
        {
            var item = items.OfType<JsonObject>().FirstOrDefault(i => (string?)i["path"] == fileName);
            return item is null
                ? new($"{volumeType} volume {mount["name"]} projects no item with path {fileName}.")
                : new(null, name, (string?)item["key"]);
        }

        return new(null, name, fileName);
    }

    private sealed record PolicySource(string ConfigMap, string Key, string Json);

    /// <summary>The ConfigMap key that CACHESIDECAR_CONFIG_FILE ends up reading, and its text.</summary>
    private static PolicySource? PolicyFile(DeploymentFiles files, JsonObject sidecar, JsonObject pod, List<string> problems)
    {
        var path = Setting(files, sidecar, ConfigFileVariable);
        if (path is null)
        {
            problems.Add($"{ConfigFileVariable} is set neither in the sidecar's env nor in the Dockerfile.");
            return null;
        }

        var projection = ProjectedFile(pod, sidecar, path, "configMap");
        if (projection.Problem is { } problem)
        {
            problems.Add($"{ConfigFileVariable} '{path}': {problem}");
            return null;
        }

        var configMap = files.Objects("ConfigMap").FirstOrDefault(c => (string?)c["metadata"]?["name"] == projection.SourceName);
        if ((string?)configMap?["data"]?[projection.Key!] is not { } json)
        {
            problems.Add($"{ConfigFileVariable} '{path}' reads key {projection.Key} of ConfigMap {projection.SourceName}, which k8s/ does not define.");
            return null;
        }

        return new PolicySource(projection.SourceName!, projection.Key!, json);
    }

    /// <summary>
    /// Resolves SidecarOptions exactly as the sidecar's start-up does: strict binding (a value
    /// that does not convert, or a key no option takes, refuses to start) and then its validator.
    /// </summary>
    private static List<string> Bind(string label, IConfigurationBuilder builder, IEnumerable<string> namespaces)
    {
        IConfiguration configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            return [$"{label}: cannot be read as configuration: {e.Message}"];
        }

        var problems = new List<string>();
        var services = new ServiceCollection().AddSingleton(configuration).AddLogging();
        services.AddCacheSidecar();
        using var provider = services.BuildServiceProvider();
        try
        {
            var resolved = provider.GetRequiredService<IOptions<SidecarOptions>>().Value;
            problems.AddRange(namespaces.Where(ns => !resolved.Namespaces.ContainsKey(ns))
                .Select(ns => $"{label}: the sidecar would not have namespace '{ns}'."));
        }
        catch (OptionsValidationException e)
        {
            problems.AddRange(e.Failures.Select(f => $"{label}: the sidecar would refuse to start: {f}"));
        }
        catch (InvalidOperationException e)
        {
            // The binder puts the specifics (which value, which key) in the inner exceptions.
            var messages = new List<string>();
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                messages.Add(inner.Message);
            }

            problems.Add($"{label}: the sidecar would refuse to start: {string.Join(" ", messages)}");
        }

        return problems;
    }

    private static string Normalize(string source)
    {
        var path = source.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static List<string> ProjectClosure(string root, string project)
    {
        var seen = new List<string>();
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (seen.Contains(current, StringComparer.Ordinal))
            {
                continue;
            }

            seen.Add(current);
            var directory = Path.GetDirectoryName(Path.Combine(root, current))!;
            foreach (var reference in XDocument.Load(Path.Combine(root, current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }

    /// <summary>The directories the projects' Protobuf items compile from: each Include's directory (up to
    /// its first wildcard) and its ProtoRoot, where imports such as google/api/*.proto are found.</summary>
    private static IEnumerable<string> ProtoDirectories(string root, List<string> projects)
    {
        foreach (var project in projects)
        {
            var directory = Path.GetDirectoryName(Path.Combine(root, project))!;
            string Relative(string path) => Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(directory, path))).Replace('\\', '/');
            foreach (var item in XDocument.Load(Path.Combine(root, project)).Descendants("Protobuf"))
            {
                var segments = (item.Attribute("Include")?.Value ?? "").Replace('\\', '/').Split('/');
                var wildcard = Array.FindIndex(segments, segment => segment.Contains('*', StringComparison.Ordinal));
                yield return Relative(string.Join('/', segments.Take(wildcard >= 0 ? wildcard : segments.Length - 1)));
                if (item.Attribute("ProtoRoot")?.Value is { } protoRoot)
                {
                    yield return Relative(protoRoot.Replace('\\', '/'));
                }
            }
        }
    }

    /// <summary>Files under a directory that a build reads (sources, projects, settings), outside bin/ and obj/.</summary>
    private static IEnumerable<string> SourceFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".props" or ".targets" or ".json" or ".proto");

    private static string Join(IEnumerable<int> ports) => string.Join(", ", ports.Order());
}

/// <summary>Maps a configuration key (<c>Sidecar__Namespaces__users__Ttl</c>) onto <see cref="SidecarOptions"/> by reflection, as the binder would.</summary>
internal static class OptionPath
{
    /// <summary>Null when the key binds to a settable scalar option; otherwise why it does not.</summary>
    public static string? Explain(string key)
    {
        var segments = key.Split("__");
        if (!segments[0].Equals(SidecarOptions.SectionName, StringComparison.OrdinalIgnoreCase))
        {
            return $"it is not under the {SidecarOptions.SectionName} section";
        }

        var type = typeof(SidecarOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment";
            }

            if (IsScalar(type))
            {
                return $"'{segment}' follows a single value of type {type.Name}";
            }

            // Dictionary<string, T> (Namespaces): any segment is a key.
            var dictionary = type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string));
            if (dictionary is not null)
            {
                type = dictionary.GetGenericArguments()[1];
                continue;
            }

            // Configuration keys are case-insensitive, as the binder matches them.
            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Order(StringComparer.Ordinal);
                return $"{type.Name} has no property '{segment}' (it has {string.Join(", ", known)})";
            }

            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(type) && property.SetMethod?.IsPublic != true)
            {
                return $"{property.DeclaringType!.Name}.{property.Name} cannot be set";
            }
        }

        return IsScalar(type) ? null : $"it names a whole {type.Name}, not one setting";
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);
}

/// <summary>.dockerignore matching, as Docker does it: Go path patterns plus <c>**</c>, a match on a
/// parent directory excludes what is in it, the last matching line wins, <c>!</c> re-includes.</summary>
internal static class DockerIgnore
{
    /// <summary>The pattern that excludes <paramref name="path"/>, or null if it is sent to the builder.</summary>
    public static string? Matches(IEnumerable<string> lines, string path)
    {
        var candidates = new List<string>();
        var parts = path.Split('/');
        for (var i = 1; i <= parts.Length; i++)
        {
            candidates.Add(string.Join('/', parts.Take(i)));
        }

        string? excludedBy = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var negated = line.StartsWith('!');
            var pattern = (negated ? line[1..] : line).Trim().TrimStart('/').TrimEnd('/');
            var regex = new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant);
            if (candidates.Any(regex.IsMatch))
            {
                excludedBy = negated ? null : line;
            }
        }

        return excludedBy;
    }

    private static string ToRegex(string glob)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches any number of directories, including none.
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(glob[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(glob[i].ToString()),
                });
            }
        }

        return regex.ToString();
    }
}
