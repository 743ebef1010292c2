using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

// What the sidecar may do and what it is given: its security context and resources, the Secrets and
// ConfigMaps the pod refers to, and the example Secret holding placeholders only.
internal static partial class ManifestChecks
{
    private static readonly string[] DataFields = ["data", "stringData"];

    /// <summary>
    /// The sidecar runs unprivileged on a read-only root filesystem, with a writable /tmp and sized resources.
    /// </summary>
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

        if (((string?)container["seccompProfile"]?["type"] ?? (string?)podContext["seccompProfile"]?["type"])
            != "RuntimeDefault")
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

    /// <summary>
    /// Every Secret and ConfigMap key the pod refers to exists in k8s/, and the token file is where the Secret is
    /// mounted.
    /// </summary>
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
                problems.Add($"{usedBy} refers to key '{key}' of {kind} '{name}', " +
                    $"which has only {string.Join(", ", keys)}.");
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
            var (kind, source) = volume["configMap"] is JsonObject c ? ("ConfigMap", c)
                : volume["secret"] is JsonObject s ? ("Secret", s)
                : (null, null);
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
        var secrets = files.Manifests.OfType<JsonObject>().Where(m => (string?)m["object"]?["kind"] == "Secret");
        foreach (var entry in secrets)
        {
            var file = (string?)entry["file"];
            var secret = entry["object"]!;
            if (file is null || !file.Contains(".example.", StringComparison.Ordinal))
            {
                problems.Add($"{file}: a Secret in the repository " +
                    "must live in a *.example.yaml file with placeholder values.");
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
}
