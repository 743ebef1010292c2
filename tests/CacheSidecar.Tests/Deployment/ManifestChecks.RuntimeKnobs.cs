using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

// The runtime knobs that keep the resident set small (decision 0020) ship in two places: the image's ENV
// and src/Sidecar/Properties/launchSettings.json, which the README's `dotnet run` applies.
internal static partial class ManifestChecks
{
    private static readonly string[] KnobPrefixes = ["DOTNET_GC", "DOTNET_gc", "DOTNET_Tiered"];

    /// <summary>
    /// The image and <c>dotnet run</c> start the sidecar with the same GC and tiering knobs, and the image has some.
    /// </summary>
    public static List<string> RuntimeKnobs(DeploymentFiles files)
    {
        var problems = new List<string>();
        var image = DockerfileEnv(files).Where(e => IsKnob(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var launch = LaunchProfileEnv().Where(e => IsKnob(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (image.Count == 0)
        {
            problems.Add("The Dockerfile sets no DOTNET_GC…/DOTNET_Tiered… runtime knob; decision 0020 ships three.");
        }

        foreach (var name in image.Keys.Union(launch.Keys).Order(StringComparer.Ordinal))
        {
            var inImage = image.GetValueOrDefault(name);
            var inLaunch = launch.GetValueOrDefault(name);
            if (!string.Equals(inImage, inLaunch, StringComparison.Ordinal))
            {
                problems.Add($"Runtime knob {name} is {inImage ?? "unset"} in the Dockerfile but {inLaunch ?? "unset"} in " +
                    "src/Sidecar/Properties/launchSettings.json: `dotnet run` and the image must run the same runtime.");
            }
        }

        return problems;
    }

    private static bool IsKnob(string name) => KnobPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The environment of the launch profile `dotnet run` uses (the first one).</summary>
    private static Dictionary<string, string> LaunchProfileEnv()
    {
        var path = Path.Combine(RepositoryPaths.Root, "src", "Sidecar", "Properties", "launchSettings.json");
        var profile = (JsonNode.Parse(File.ReadAllText(path))!["profiles"]!.AsObject()).First().Value!;
        return (profile["environmentVariables"]?.AsObject() ?? [])
            .ToDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.Ordinal);
    }
}
