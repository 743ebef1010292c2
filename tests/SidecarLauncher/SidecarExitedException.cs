namespace CacheSidecar.Testing;

/// <summary>
/// The sidecar process ended while it was expected to run; <see cref="Output"/> holds what it printed
/// (e.g. why it refused its configuration), so callers can tell a refusal they expect from a crash.
/// </summary>
/// <remarks>
/// An <see cref="InvalidOperationException"/>: code that caught the tests' earlier "the sidecar exited"
/// error by that type still does.
/// </remarks>
public sealed class SidecarExitedException : InvalidOperationException
{
    /// <summary>
    /// A sidecar that exited with <paramref name="exitCode"/> after printing <paramref name="output"/>.
    /// </summary>
    public SidecarExitedException(string name, int exitCode, string output)
        : base($"Sidecar {name} exited with code {exitCode}:\n{output}")
    {
        ExitCode = exitCode;
        Output = output;
    }

    /// <summary>The process's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>The last lines it wrote to stdout and stderr.</summary>
    public string Output { get; }
}
