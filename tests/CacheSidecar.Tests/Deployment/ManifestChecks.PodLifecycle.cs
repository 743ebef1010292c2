using System.Globalization;
using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

// How the sidecar starts and stops with the application: a native sidecar, and a grace period
// long enough for its write-behind drain.
internal static partial class ManifestChecks
{
    /// <summary>The sidecar runs as a native sidecar: an init container with restartPolicy Always.</summary>
    public static List<string> NativeSidecar(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        var regular = Containers(pod, "containers").Where(c => IsSidecarImage(c))
            .Select(c => (string?)c["name"]).ToList();
        if (regular.Count > 0)
        {
            problems.Add($"The sidecar ({string.Join(", ", regular)}) is a regular container: " +
                "make it a native sidecar (an initContainers entry with restartPolicy: Always), " +
                "so it starts before the application and stops after it.");
        }

        var natives = Containers(pod, "initContainers").Where(c => (string?)c["restartPolicy"] == "Always").ToList();
        if (natives.Count != 1 || !IsSidecarImage(natives[0]))
        {
            problems.Add("Expected exactly one native sidecar running the cachesidecar image " +
                $"(initContainers with restartPolicy: Always); found {natives.Count}.");
        }

        return problems;
    }

    /// <summary>
    /// terminationGracePeriodSeconds covers the application's preStop, the sidecar's shutdown timeout
    /// (write-behind drain) and a margin.
    /// </summary>
    public static List<string> ShutdownBudget(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Sidecar(files, problems) is not { } sidecar || Pod(files, problems) is not { } pod)
        {
            return problems;
        }

        const int applicationMargin = 10;
        var grace = (int?)pod["terminationGracePeriodSeconds"] ?? 30;
        var explicitTimeout = Env(sidecar)
            .FirstOrDefault(e => (string?)e["name"] == ShutdownTimeoutVariable)?["value"];
        if (explicitTimeout is null || !int.TryParse(
                (string?)explicitTimeout, NumberStyles.None, CultureInfo.InvariantCulture, out var shutdown))
        {
            problems.Add($"Set {ShutdownTimeoutVariable} on the sidecar (seconds) " +
                "so its share of terminationGracePeriodSeconds is in the pod spec.");
            return problems;
        }

        var appPreStop = Containers(pod, "containers").Select(PreStopSleep).DefaultIfEmpty(0).Max();
        var sidecarPreStop = PreStopSleep(sidecar);
        var needed = appPreStop + sidecarPreStop + shutdown + applicationMargin;
        if (grace < needed)
        {
            problems.Add($"terminationGracePeriodSeconds {grace} < {needed}: application preStop {appPreStop} s + " +
                $"sidecar preStop {sidecarPreStop} s + {ShutdownTimeoutVariable} {shutdown} s (write-behind drain) + " +
                $"{applicationMargin} s for the application's own shutdown.");
        }

        return problems;
    }

    private static int PreStopSleep(JsonObject container) =>
        (int?)container["lifecycle"]?["preStop"]?["sleep"]?["seconds"] ?? 0;
}
