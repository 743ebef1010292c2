using CacheSidecar.Logging;

namespace CacheSidecar.Hosting;

/// <summary>
/// The Unix domain sockets Kestrel listens on (<c>http://unix:/path</c> endpoints). Their directories are
/// created before Kestrel binds (Kestrel itself replaces a socket file a killed sidecar left behind). Once
/// Kestrel listens, each socket gets mode 0660: only the sidecar's user and group may connect (in Kubernetes
/// the pod's <c>fsGroup</c>, which every container of the pod shares; nobody outside the pod reaches the
/// <c>emptyDir</c> anyway).
/// </summary>
internal sealed class UnixSocketFiles(IConfiguration configuration, IHostApplicationLifetime lifetime,
    ILogger<UnixSocketFiles> logger) : IHostedService
{
    private const UnixFileMode OwnerAndGroup =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The socket paths of the configured endpoints.</summary>
    public static IReadOnlyList<string> Paths(IConfiguration configuration) =>
        ListenAddresses.Configured(configuration)
            .Select(address => address.Url)
            .Select(url => url.IndexOf("://unix:", StringComparison.OrdinalIgnoreCase) is var at and >= 0
                ? url[(at + "://unix:".Length)..]
                : null)
            .OfType<string>()
            .ToList();

    /// <summary>Creates the directories of the sockets (Kestrel binds a socket only in an existing one).</summary>
    public static void EnsureDirectories(IConfiguration configuration)
    {
        foreach (var path in Paths(configuration))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var path in Paths(configuration))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, OwnerAndGroup);
                }

                SidecarLog.UnixSocketListening(logger, path);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
