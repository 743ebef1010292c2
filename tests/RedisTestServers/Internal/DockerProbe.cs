using System.ComponentModel;

namespace CacheSidecar.Testing.Redis.Internal;

/// <summary>Answers "can Testcontainers work here?" once per test process.</summary>
internal static class DockerProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    // Cached: the answer does not change during a test run, and `docker info` costs tens of milliseconds or more.
    private static readonly Lazy<Task<bool>> Cached = new(ProbeAsync);

    public static Task<bool> IsAvailableAsync(CancellationToken cancellationToken) =>
        Cached.Value.WaitAsync(cancellationToken);

    private static async Task<bool> ProbeAsync()
    {
        try
        {
            // `docker info` talks to the daemon, unlike `docker version --format`, so exit 0 means a usable engine.
            var result = await ChildProcess.RunAsync("docker", ["info"], Timeout, CancellationToken.None);
            return result is { TimedOut: false, ExitCode: 0 };
        }
        catch (Win32Exception)
        {
            return false; // no docker CLI on PATH
        }
    }
}
