using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

/// <summary>Loads the deployment files once per test class (one `node dump.mjs`).</summary>
public sealed class DeploymentFilesFixture
{
    internal DeploymentFiles Files { get; } = DeploymentFiles.Load();
}

/// <summary>
/// The deployment files (Dockerfile, .dockerignore, k8s/*.yaml) are checked offline, as CI has no
/// cluster and no Docker engine:
/// <list type="bullet">
/// <item><c>npm test</c> in tests/manifests: Kubernetes schemas (kubernetes-models), unknown fields, the Dockerfile lint;</item>
/// <item><see cref="ManifestChecks"/>: the files agree with the sidecar (ports, probe paths, option names,
/// policy validation through the sidecar's own registration, shutdown budget, image build inputs).</item>
/// </list>
/// Each check is also run on a deliberately broken copy, to show it can fail.
/// </summary>
public sealed class ManifestTests(DeploymentFilesFixture fixture) : IClassFixture<DeploymentFilesFixture>
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void Npm_test_validates_the_manifests_and_lints_the_Dockerfile()
    {
        var result = RepositoryPaths.Run("npm", ["test"], RepositoryPaths.ManifestsProject, environment: null, NodeTimeout);

        Assert.True(result.ExitCode == 0, $"`npm test` in tests/manifests exited {result.ExitCode} " +
            $"(dependencies: npm ci --prefix tests/manifests, which scripts/test.sh runs):\n{result.Output}");
        Assert.Contains("no problems", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Npm_test_fails_on_a_broken_copy_naming_each_problem()
    {
        var copy = Directory.CreateTempSubdirectory("cachesidecar-manifests-");
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "k8s"), "*.yaml"))
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            File.Copy(Path.Combine(RepositoryPaths.Root, "Dockerfile"), Path.Combine(copy.FullName, "Dockerfile"));
            Break(copy, "deployment.yaml", "          readinessProbe:", "          readinesProbe:"); // a typo the schema allows
            Break(copy, "service.yaml", "      port: 80", "      port: eighty");                    // a type error
            Break(copy, "Dockerfile", "ENTRYPOINT [\"dotnet\", \"CacheSidecar.dll\"]", "ENTRYPOINT dotnet CacheSidecar.dll");
            Break(copy, "Dockerfile", "EXPOSE 8081", "EXPOSE 8081x");

            var result = RepositoryPaths.Run("npm", ["test"], RepositoryPaths.ManifestsProject, new Dictionary<string, string>
            {
                ["CACHESIDECAR_K8S_DIR"] = copy.FullName,
                ["CACHESIDECAR_DOCKERFILE"] = Path.Combine(copy.FullName, "Dockerfile"),
            }, NodeTimeout);

            Assert.True(result.ExitCode != 0, $"`npm test` passed a broken copy:\n{result.Output}");
            Assert.Contains("unknown field 'spec.template.spec.initContainers[0].readinesProbe'", result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("data/spec/ports/0/port must be integer", result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("ENTRYPOINT must use the exec (JSON) form", result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("Invalid containerPort: 8081x", result.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    public static TheoryData<string> Checks() => [.. ManifestChecks.All.Keys];

    [Theory]
    [MemberData(nameof(Checks))]
    public void The_deployment_files_agree_with_the_sidecar(string check)
    {
        var problems = ManifestChecks.All[check](fixture.Files);

        Assert.True(problems.Count == 0, $"{check}:\n  " + string.Join("\n  ", problems));
    }

    public static TheoryData<string> Mistakes() => [.. MistakeCases.Keys];

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Each_check_fails_on_the_mistake_it_guards_against(string mistake)
    {
        var (breakIt, expected) = MistakeCases[mistake];
        var files = fixture.Files.Clone();
        breakIt(files);

        var problems = ManifestChecks.Everything(files);

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)),
            $"Expected a problem containing \"{expected}\"; got:\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [InlineData("Sidecar__Redis__Configuration", null)]
    [InlineData("Sidecar__Namespaces__users__WriteBehind__MaxBacklog", null)]
    [InlineData("sidecar__mongo__database", null)] // configuration keys are case-insensitive
    [InlineData("Sidecar__Redis__Configuraton", "RedisOptions has no property 'Configuraton'")]
    [InlineData("Sidecar__Mongo", "names a whole MongoOptions")]
    [InlineData("Sidecar__Namespaces__users", "names a whole NamespaceOptions")]
    [InlineData("Sidecar__Redis__Configuration__Extra", "follows a single value")]
    [InlineData("Sidecar__Namespaces__users__WriteBehind__Flush", "WriteBehindOptions has no property 'Flush'")]
    public void Option_paths_are_resolved_against_SidecarOptions(string key, string? expectedProblem)
    {
        var problem = OptionPath.Explain(key);

        if (expectedProblem is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expectedProblem, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("src/Sidecar/obj/x.json", "**/obj")]
    [InlineData("bin", "**/bin")]
    [InlineData("tests/CacheSidecar.Tests/Foo.cs", "tests")]
    [InlineData("src/Sidecar/cachesidecar.db", "**/*.db")]
    [InlineData("README.md", "**/*.md")]
    [InlineData("src/Sidecar/Sidecar.csproj", null)]
    [InlineData("protos/cachesidecar/v1/cache.proto", null)]
    [InlineData("Directory.Packages.props", null)]
    public void Dockerignore_patterns_match_as_docker_does(string path, string? pattern)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"));

        Assert.Equal(pattern, DockerIgnore.Matches(lines, path));
    }

    // ------------------------------------------------------------------------------------------
    // Deliberate mistakes, each with a phrase of the problem its check must report
    // ------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, (Action<DeploymentFiles> Break, string Expected)> MistakeCases = new(StringComparer.Ordinal)
    {
        ["the sidecar as a regular container"] = (f =>
        {
            var sidecar = Sidecar(f);
            Pod(f)["initContainers"]!.AsArray().Remove(sidecar);
            sidecar.Remove("restartPolicy");
            Pod(f)["containers"]!.AsArray().Add(sidecar);
        }, "is a regular container"),
        ["the health endpoint on loopback"] = (f => Env(f, ManifestChecks.HealthUrl)["value"] = "http://127.0.0.1:8081", "the kubelet probes the pod IP"),
        ["the application dialling another socket"] = (f => AppEnv(f, ManifestChecks.AppAddressVariable)["value"] = "unix:/var/run/other/grpc.sock",
            "but the sidecar's gRPC socket is unix:/var/run/cachesidecar/grpc.sock"),
        ["the socket directory not shared with the application"] = (f => App(f)["volumeMounts"]!.AsArray().Remove(
            App(f)["volumeMounts"]!.AsArray().OfType<JsonObject>().Single(m => (string?)m["mountPath"] == "/var/run/cachesidecar")),
            "The application does not mount volume cachesidecar-sockets"),
        ["no fsGroup for the sockets"] = (f => Pod(f)["securityContext"]!.AsObject().Remove("fsGroup"), "sets no securityContext.fsGroup"),
        ["the gRPC API on all interfaces"] = (f => Env(f, ManifestChecks.GrpcUrl)["value"] = "http://0.0.0.0:50051", "bind it to 127.0.0.1"),
        ["the readiness probe on another port"] = (f => Sidecar(f)["readinessProbe"]!["httpGet"]!["port"] = 9090, "readinessProbe probes port 9090"),
        ["the readiness probe on an undeclared port name"] = (f => Sidecar(f)["readinessProbe"]!["httpGet"]!["port"] = "health", "(= undeclared)"),
        ["the liveness probe at the readiness path"] = (f => Sidecar(f)["livenessProbe"]!["httpGet"]!["path"] = "/readyz", "livenessProbe requests '/readyz'"),
        ["a tcpSocket startup probe"] = (f => Sidecar(f)["startupProbe"] = new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = 8081 } }, "startupProbe must be an httpGet probe"),
        ["the health port moved but not the probes"] = (f => Env(f, ManifestChecks.HealthUrl)["value"] = "http://0.0.0.0:9000", "but Kestrel__Endpoints__Health__Url listens on 9000"),
        ["Prometheus scraping another port"] = (f => f.Objects("Deployment").Single()["spec"]!["template"]!["metadata"]!["annotations"]!["prometheus.io/port"] = "8080",
            "prometheus.io/port annotation is 8080, but /metrics is served on Kestrel__Endpoints__Health__Url's port 8081"),
        ["EXPOSE without the health port"] = (f => RemoveInstruction(f, "EXPOSE", "8081"), "The Dockerfile EXPOSEs 8080, 50051 but the sidecar listens on 8080, 8081, 50051"),
        ["a runtime knob only in the image"] = (f => RemoveInstruction(f, "ENV", "DOTNET_TieredPGO=0"),
            "Runtime knob DOTNET_TieredPGO is unset in the Dockerfile but 0"),
        ["the base image's *:8080 left in place"] = (f => RemoveInstruction(f, "ENV", "ASPNETCORE_HTTP_PORTS="), "must clear ASPNETCORE_HTTP_PORTS"),
        ["the config file outside the ConfigMap mount"] = (f => Env(f, ManifestChecks.ConfigFileVariable)["value"] = "/etc/other/cachesidecar.json", "no volume is mounted at /etc/other"),
        ["the config file named after no ConfigMap key"] = (f => Env(f, ManifestChecks.ConfigFileVariable)["value"] = "/etc/cachesidecar/policies.json", "projects no item with path policies.json"),
        ["the ConfigMap key renamed"] = (f =>
        {
            var data = ConfigMap(f)["data"]!.AsObject();
            var json = data["cachesidecar.json"]!.GetValue<string>();
            data.Remove("cachesidecar.json");
            data["policies.json"] = json;
        }, "reads key cachesidecar.json of ConfigMap cachesidecar-config, which k8s/ does not define"),
        ["the ConfigMap mounted with subPath"] = (f => Mount(f, "/etc/cachesidecar")["subPath"] = "cachesidecar.json", "uses subPath"),
        ["the config directory mounted from an emptyDir"] = (f => Mount(f, "/etc/cachesidecar")["name"] = "cachesidecar-tmp", "is not a configMap volume"),
        ["no polling file watcher"] = (f =>
        {
            Sidecar(f)["env"]!.AsArray().Remove(Env(f, "DOTNET_USE_POLLING_FILE_WATCHER"));
            RemoveInstruction(f, "ENV", "DOTNET_USE_POLLING_FILE_WATCHER=true");
        }, "Set DOTNET_USE_POLLING_FILE_WATCHER=true"),
        ["a policy the sidecar refuses"] = (f => EditPolicy(f, p => p["Sidecar"]!["Namespaces"]!["users"]!["Ttl"] = "-00:00:05"), "Sidecar:Namespaces:users:Ttl must be positive"),
        ["a write-behind namespace without a collection"] = (f => EditPolicy(f, p => p["Sidecar"]!["Namespaces"]!["events"]!.AsObject().Remove("Collection")),
            "Sidecar:Namespaces:events:Collection is required for the WriteBehind strategy"),
        ["a misspelt policy field"] = (f => EditPolicy(f, p =>
        {
            var users = p["Sidecar"]!["Namespaces"]!["users"]!.AsObject();
            users["Stratgy"] = users["Strategy"]!.DeepClone();
            users.Remove("Strategy");
        }), "'Stratgy'"),
        ["a strategy that does not exist"] = (f => EditPolicy(f, p => p["Sidecar"]!["Namespaces"]!["users"]!["Strategy"] = "CacheBeside"), "'CacheBeside'"),
        ["a duration that does not convert, which would drop the namespace"] = (f => EditPolicy(f, p => p["Sidecar"]!["Namespaces"]!["products"]!["Ttl"] = "ten minutes"),
            "Failed to convert configuration value 'ten minutes' at 'Sidecar:Namespaces:products:Ttl'"),
        ["a policy file that is not JSON"] = (f => ConfigMap(f)["data"]!["cachesidecar.json"] = "{ \"Sidecar\": ", "is not valid JSON"),
        ["host settings in the policy file"] = (f => EditPolicy(f, p => p["Logging"] = new JsonObject()), "must be { \"Sidecar\": { \"Namespaces\""),
        ["a misspelt Sidecar__ variable"] = (f => Env(f, "Sidecar__Redis__Configuration")["name"] = "Sidecar__Redis__Configuraton", "RedisOptions has no property 'Configuraton'"),
        ["a Sidecar__ variable in the image that binds to nothing"] = (f => Instruction(f, "ENV", "Sidecar__Embedded__SqlitePath=/tmp/cachesidecar.db")["properties"]![0]!["name"] = "Sidecar__Embedded__Sqlite",
            "Dockerfile: Sidecar__Embedded__Sqlite binds to nothing"),
        ["a grace period shorter than the drain"] = (f => Pod(f)["terminationGracePeriodSeconds"] = 30, "terminationGracePeriodSeconds 30 < 45"),
        ["a preStop sleep on the sidecar eating the drain time"] = (f => Sidecar(f)["lifecycle"] = JsonNode.Parse("""{ "preStop": { "sleep": { "seconds": 20 } } }"""),
            "terminationGracePeriodSeconds 60 < 65"),
        ["no explicit shutdown timeout"] = (f => Sidecar(f)["env"]!.AsArray().Remove(Env(f, ManifestChecks.ShutdownTimeoutVariable)), "Set DOTNET_shutdownTimeoutSeconds on the sidecar"),
        ["a writable root filesystem"] = (f => Sidecar(f)["securityContext"]!["readOnlyRootFilesystem"] = false, "needs readOnlyRootFilesystem: true"),
        ["capabilities kept"] = (f => Sidecar(f)["securityContext"]!["capabilities"] = JsonNode.Parse("""{ "drop": ["NET_RAW"] }"""), "must drop ALL capabilities"),
        ["root allowed"] = (f =>
        {
            Sidecar(f)["securityContext"]!.AsObject().Remove("runAsNonRoot");
            Pod(f)["securityContext"]!.AsObject().Remove("runAsNonRoot");
        }, "needs runAsNonRoot: true"),
        ["no writable /tmp"] = (f => Sidecar(f)["volumeMounts"]!.AsArray().Remove(Mount(f, "/tmp")), "needs an emptyDir mounted at /tmp"),
        ["no memory limit"] = (f => Sidecar(f)["resources"]!["limits"]!.AsObject().Remove("memory"), "needs resources.limits.memory"),
        ["a Secret key that does not exist"] = (f => Env(f, "Sidecar__Redis__Configuration")["valueFrom"]!["secretKeyRef"]!["key"] = "redis-url",
            "refers to key 'redis-url' of Secret 'cachesidecar'"),
        ["a ConfigMap that does not exist"] = (f => Env(f, "Sidecar__Mongo__Database")["valueFrom"]!["configMapKeyRef"]!["name"] = "settings",
            "refers to ConfigMap 'settings', which no file in k8s/ defines"),
        ["the token file outside the Secret mount"] = (f => Env(f, "Sidecar__Auth__TokenFile")["value"] = "/var/run/secrets/other/token",
            "Sidecar__Auth__TokenFile '/var/run/secrets/other/token': no volume is mounted at /var/run/secrets/other"),
        ["a real credential in the example Secret"] = (f => f.Objects("Secret").Single()["stringData"]!["token"] = "9f86d081884c7d659a2feaa0c55ad015",
            "stringData.token must be a placeholder"),
        ["the SDK image shipped"] = (f => f.FinalStage["image"] = "mcr.microsoft.com/dotnet/sdk:10.0", "The final stage must be mcr.microsoft.com/dotnet/aspnet:10.0"),
        ["an ENTRYPOINT for another assembly"] = (f => Instruction(f, "ENTRYPOINT", "[\"dotnet\",")["json"] = new JsonArray("dotnet", "Sidecar.dll"),
            "ENTRYPOINT must be [\"dotnet\", \"CacheSidecar.dll\"]"),
        ["a project file missing from the restore layer"] = (f => RemoveInstruction(f, "COPY", "src/Contracts/Contracts.csproj", stage: 0),
            "must COPY src/Contracts/Contracts.csproj before `dotnet restore`"),
        ["the central package versions missing from the restore layer"] = (f =>
            Instruction(f, "COPY", "global.json", stage: 0)["arguments"] = new JsonArray("global.json", "Directory.Build.props", "./"),
            "must COPY Directory.Packages.props before `dotnet restore`"),
        ["src/'s build properties missing from the restore layer"] = (
            f => RemoveInstruction(f, "COPY", "src/Directory.Build.props", stage: 0),
            "must COPY src/Directory.Build.props before `dotnet restore`"),
        ["sources copied before the restore"] = (f => Instruction(f, "COPY", "src/Sidecar/Sidecar.csproj", stage: 0)["arguments"] = new JsonArray("src/Sidecar/", "src/Sidecar/"),
            "COPY src/Sidecar before `dotnet restore` copies a directory"),
        ["protos not copied"] = (f => RemoveInstruction(f, "COPY", "protos/", stage: 0), "must COPY protos/cachesidecar/v1/ before `dotnet publish`"),
        ["a COPY of a path that does not exist"] = (f => Instruction(f, "COPY", "src/Sidecar/", stage: 0)["arguments"] = new JsonArray("src/Sidekar/", "src/Sidecar/"),
            "COPY src/Sidekar: does not exist"),
        [".dockerignore excluding the project files"] = (f => f.DockerIgnore.Add("**/*.csproj"), "excludes src/Contracts/Contracts.csproj ('**/*.csproj')"),
        [".dockerignore excluding the protos"] = (f => f.DockerIgnore.Add("protos"), "COPY protos: .dockerignore excludes it ('protos')"),
    };

    private static void Break(DirectoryInfo copy, string file, string from, string to)
    {
        var path = Path.Combine(copy.FullName, file);
        var text = File.ReadAllText(path);
        Assert.True(text.Contains(from, StringComparison.Ordinal), $"{file} no longer contains '{from}': update this test's broken copy.");
        var at = text.IndexOf(from, StringComparison.Ordinal);
        File.WriteAllText(path, string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length)));
    }

    private static JsonObject Pod(DeploymentFiles f) => f.Objects("Deployment").Single()["spec"]!["template"]!["spec"]!.AsObject();

    private static JsonObject Sidecar(DeploymentFiles f) =>
        Pod(f)["initContainers"]!.AsArray().OfType<JsonObject>().Single(c => (string?)c["name"] == "cachesidecar");

    private static JsonObject App(DeploymentFiles f) =>
        Pod(f)["containers"]!.AsArray().OfType<JsonObject>().Single(c => (string?)c["name"] == "app");

    private static JsonObject AppEnv(DeploymentFiles f, string name) =>
        App(f)["env"]!.AsArray().OfType<JsonObject>().Single(e => (string?)e["name"] == name);

    private static JsonObject Env(DeploymentFiles f, string name) =>
        Sidecar(f)["env"]!.AsArray().OfType<JsonObject>().Single(e => (string?)e["name"] == name);

    private static JsonObject Mount(DeploymentFiles f, string mountPath) =>
        Sidecar(f)["volumeMounts"]!.AsArray().OfType<JsonObject>().Single(m => (string?)m["mountPath"] == mountPath);

    private static JsonObject ConfigMap(DeploymentFiles f) => f.Objects("ConfigMap").Single();

    private static void EditPolicy(DeploymentFiles f, Action<JsonObject> edit)
    {
        var data = ConfigMap(f)["data"]!.AsObject();
        var policy = JsonNode.Parse(data["cachesidecar.json"]!.GetValue<string>())!.AsObject();
        edit(policy);
        data["cachesidecar.json"] = policy.ToJsonString();
    }

    /// <summary>The Dockerfile instruction of <paramref name="stage"/> (default: the final one) whose first argument is <paramref name="firstArgument"/>.</summary>
    private static JsonObject Instruction(DeploymentFiles f, string keyword, string firstArgument, int stage = -1)
    {
        var stageObject = stage < 0 ? f.FinalStage : f.DockerfileStages[stage]!.AsObject();
        return DeploymentFiles.Instructions(stageObject, keyword).Single(i => (string?)i["arguments"]![0] == firstArgument);
    }

    private static void RemoveInstruction(DeploymentFiles f, string keyword, string firstArgument, int stage = -1)
    {
        var instruction = Instruction(f, keyword, firstArgument, stage);
        var stageObject = stage < 0 ? f.FinalStage : f.DockerfileStages[stage]!.AsObject();
        stageObject["instructions"]!.AsArray().Remove(instruction);
    }
}
