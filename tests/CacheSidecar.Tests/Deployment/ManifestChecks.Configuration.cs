using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CacheSidecar.Configuration;
using CacheSidecar.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.Deployment;

// What the sidecar is configured with: the policy file it reads from the ConfigMap, bound through
// its own registration and validation, and the Sidecar__… variables of the pod and the image.
internal static partial class ManifestChecks
{
    /// <summary>
    /// CACHESIDECAR_CONFIG_FILE names the ConfigMap's key inside the directory the ConfigMap volume is mounted at.
    /// </summary>
    public static List<string> ConfigFile(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        if (Setting(files, sidecar, "DOTNET_USE_POLLING_FILE_WATCHER") is not { } polling
            || !polling.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("Set DOTNET_USE_POLLING_FILE_WATCHER=true: " +
                "ConfigMap updates are symlink swaps the event-based watcher misses.");
        }

        _ = PolicyFile(files, sidecar, pod, problems); // adds what is wrong with the path, the mount or the key
        return problems;
    }

    /// <summary>
    /// The policy file binds through the sidecar's own registration and validation with no failure and no unknown key.
    /// </summary>
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

        if (root is null || root.Count != 1
            || root[SidecarOptions.SectionName]?["Namespaces"] is not JsonObject { Count: > 0 })
        {
            problems.Add($"ConfigMap {policy.ConfigMap} key {policy.Key} must be " +
                "{ \"Sidecar\": { \"Namespaces\": { … } } } and define at least one namespace " +
                "(host settings belong in the container's environment).");
            return problems;
        }

        // On its own, and layered over the image's appsettings.json as the sidecar loads it: the
        // image's namespaces merge with the file's field by field.
        var bytes = Encoding.UTF8.GetBytes(policy.Json);
        var namespaces = root[SidecarOptions.SectionName]!["Namespaces"]!.AsObject().Select(p => p.Key).ToList();
        problems.AddRange(Bind(
            $"{policy.Key}", new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)), namespaces));
        problems.AddRange(Bind($"{policy.Key} over src/Sidecar/appsettings.json", new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(RepositoryPaths.Root, "src", "Sidecar", "appsettings.json"), optional: false)
            .AddJsonStream(new MemoryStream(bytes)), namespaces));
        return problems;
    }

    /// <summary>
    /// Every Sidecar__… variable (pod env and Dockerfile ENV) names a real option; a typo would be ignored silently.
    /// </summary>
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
            if (name.StartsWith(SidecarOptions.SectionName + "__", StringComparison.OrdinalIgnoreCase)
                && OptionPath.Explain(name) is { } why)
            {
                problems.Add($"{source}: {name} binds to nothing: {why}");
            }
        }

        return problems;
    }

    private sealed record PolicySource(string ConfigMap, string Key, string Json);

    /// <summary>The ConfigMap key that CACHESIDECAR_CONFIG_FILE ends up reading, and its text.</summary>
    private static PolicySource? PolicyFile(
        DeploymentFiles files, JsonObject sidecar, JsonObject pod, List<string> problems)
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

        var configMap = files.Objects("ConfigMap")
            .FirstOrDefault(c => (string?)c["metadata"]?["name"] == projection.SourceName);
        if ((string?)configMap?["data"]?[projection.Key!] is not { } json)
        {
            problems.Add($"{ConfigFileVariable} '{path}' reads key {projection.Key} " +
                $"of ConfigMap {projection.SourceName}, which k8s/ does not define.");
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
        services.AddCacheSidecar(configuration);
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
}
