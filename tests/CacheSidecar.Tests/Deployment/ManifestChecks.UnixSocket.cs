using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

// The gRPC API on a Unix domain socket (DESIGN §12): where the sidecar creates it, where the application
// looks for it, and that only the pod's containers can reach it.
internal static partial class ManifestChecks
{
    public const string GrpcUnixUrl = "Kestrel__Endpoints__GrpcUnix__Url";
    public const string AppAddressVariable = "CACHESIDECAR_ADDRESS";

    /// <summary>
    /// The application's address is the sidecar's gRPC socket; the socket's directory is a volume both
    /// containers mount, an emptyDir (nothing outside the pod reaches it); the pod has an fsGroup, the group
    /// the sidecar's 0660 sockets are open to.
    /// </summary>
    public static List<string> UnixSocket(DeploymentFiles files)
    {
        var problems = new List<string>();
        if (Pod(files, problems) is not { } pod || Sidecar(files, problems) is not { } sidecar)
        {
            return problems;
        }

        var url = Env(sidecar).FirstOrDefault(e => (string?)e["name"] == GrpcUnixUrl)?["value"]?.GetValue<string>();
        if (url is null || !url.StartsWith("http://unix:/", StringComparison.Ordinal))
        {
            problems.Add($"The sidecar sets no {GrpcUnixUrl} of the form http://unix:/path/grpc.sock.");
            return problems;
        }

        var socket = url["http://unix:".Length..];
        var directory = socket[..socket.LastIndexOf('/')];
        var app = Containers(pod, "containers").FirstOrDefault(c => !IsSidecarImage(c));
        var address = app is null
            ? null
            : Env(app).FirstOrDefault(e => (string?)e["name"] == AppAddressVariable)?["value"]?.GetValue<string>();
        if (address != $"unix:{socket}")
        {
            problems.Add($"The application's {AppAddressVariable} is '{address}', but the sidecar's gRPC socket is "
                + $"unix:{socket}.");
        }

        var volume = MountOf(sidecar, directory);
        if (volume is null)
        {
            problems.Add($"No volume is mounted at {directory} in the sidecar, where it creates its socket.");
        }
        else if (app is not null && MountOf(app, directory) != volume)
        {
            problems.Add($"The application does not mount volume {volume} at {directory}: it cannot reach the socket.");
        }

        if (volume is not null && Volume(pod, volume)?["emptyDir"] is null)
        {
            problems.Add($"Volume {volume} holds the sockets: make it an emptyDir, which only this pod mounts.");
        }

        if (pod["securityContext"]?["fsGroup"] is null)
        {
            problems.Add("The pod sets no securityContext.fsGroup: the sockets (mode 0660) are open to that group.");
        }

        return problems;
    }

    private static string? MountOf(JsonObject container, string path) =>
        (string?)Mounts(container).FirstOrDefault(m => (string?)m["mountPath"] == path)?["name"];
}
