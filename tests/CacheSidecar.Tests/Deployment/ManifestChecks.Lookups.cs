using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

// Where the checks find what they compare, in the parsed files: the pod, the sidecar container, its
// env, mounts and volumes, the image's ENV defaults, and the ConfigMap/Secret key a mounted file is.
internal static partial class ManifestChecks
{
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

        var sidecar = Containers(pod, "initContainers").Concat(Containers(pod, "containers"))
            .FirstOrDefault(IsSidecarImage);
        if (sidecar is null)
        {
            problems.Add("No container of the Deployment runs the cachesidecar image.");
        }

        return sidecar;
    }

    private static bool IsSidecarImage(JsonObject container) =>
        ((string?)container["image"] ?? "").Contains("cachesidecar", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<JsonObject> Containers(JsonObject pod, string field) =>
        (pod[field] as JsonArray ?? []).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Env(JsonObject container) =>
        (container["env"] as JsonArray ?? []).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Mounts(JsonObject container) =>
        (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>();

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
            return new($"the mount at {directory} uses subPath, " +
                "which never receives ConfigMap/Secret updates; mount the whole volume.");
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
}
