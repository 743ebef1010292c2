using System.Net.Sockets;
using CacheSidecar.Logging;

namespace CacheSidecar.Hosting;

/// <summary>
/// The Unix domain sockets Kestrel listens on (<c>http://unix:/path</c> endpoints). Their directories are
/// created before Kestrel binds, and a socket file a killed sidecar left behind (SIGKILL, OOM: no chance to
/// unlink it) is removed, because Kestrel refuses to bind over an existing file and the restarted container
/// would crash-loop. A file something still accepts connections on is left alone (Kestrel then fails: two
/// sidecars must not share a socket). Once
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

    /// <summary>
    /// Creates the directories of the sockets (Kestrel binds a socket only in an existing one) and removes the
    /// stale socket files nobody listens on any more.
    /// </summary>
    public static void EnsureDirectories(IConfiguration configuration)
    {
        foreach (var path in Paths(configuration))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (IsStaleSocket(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// True for a file at the socket path that refuses connections (ECONNREFUSED: a socket whose listener is
    /// gone). Kestrel could not bind over it either way.
    /// </summary>
    private static bool IsStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false; // a live listener: not ours to remove
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
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
