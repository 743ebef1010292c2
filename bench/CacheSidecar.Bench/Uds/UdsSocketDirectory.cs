using System.Text;

namespace CacheSidecar.Bench.Uds;

/// <summary>
/// A fresh temporary directory holding the sidecar's gRPC socket, deleted (socket and all) on dispose, so
/// no run reuses a socket file another run left behind and nothing is left in /tmp.
/// </summary>
internal sealed class UdsSocketDirectory : IDisposable
{
    /// <summary>sun_path is 108 bytes on Linux, the terminating NUL included; a longer path cannot be bound.</summary>
    private const int MaxSocketPathBytes = 107;

    private readonly DirectoryInfo _directory;

    private UdsSocketDirectory(DirectoryInfo directory, string socketPath)
    {
        _directory = directory;
        SocketPath = socketPath;
    }

    /// <summary>The absolute path of the socket the sidecar is told to listen on.</summary>
    public string SocketPath { get; }

    /// <summary>The SDK's spelling of the address: <c>unix:/abs/path/grpc.sock</c>.</summary>
    public Uri Address => new("unix:" + SocketPath);

    public static UdsSocketDirectory Create()
    {
        var directory = Directory.CreateTempSubdirectory("cachesidecar-bench-uds-");
        var socketPath = Path.Combine(directory.FullName, "grpc.sock");
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPathBytes)
        {
            directory.Delete(recursive: true);
            throw new BenchFailedException(
                $"The socket path {socketPath} is longer than the {MaxSocketPathBytes} bytes a Unix socket address holds; set TMPDIR to a shorter directory.");
        }

        return new UdsSocketDirectory(directory, socketPath);
    }

    /// <summary>
    /// Fails the bench when the socket file is not there although the sidecar serves on TCP: Kestrel binds
    /// every endpoint before it serves any, so a missing file means the endpoint was not configured.
    /// </summary>
    public void ThrowIfNotListening(SidecarProcess sidecar)
    {
        if (!File.Exists(SocketPath))
        {
            throw new BenchFailedException($"The sidecar serves on {sidecar.Address} but no socket exists at {SocketPath}. Its output:\n{sidecar.Output}");
        }
    }

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException ex)
        {
            // Reported, not thrown: it must not hide the run's own outcome (or an exception already on its way).
            Console.Error.WriteLine($"Could not delete {_directory.FullName}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"Could not delete {_directory.FullName}: {ex.Message}");
        }
    }
}
