using System.ComponentModel;
using System.Diagnostics;

namespace CacheSidecar.Testing.Redis.Internal;

internal sealed record ChildProcessResult(int ExitCode, string Output, bool TimedOut);

/// <summary>Runs a short-lived helper (redis-cli, docker) with a hard time limit.</summary>
internal static class ChildProcess
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <exception cref="Win32Exception">The executable was not found.</exception>
    public static async Task<ChildProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{fileName}'.");

        // Closed stdin: a helper that unexpectedly prompts gets EOF instead of hanging until the timeout.
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // Our own child, killed by its PID via the Process object.
            process.Kill();
            process.WaitForExit(DrainTimeout);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        var output = await stdout.WaitAsync(DrainTimeout, CancellationToken.None)
            + await stderr.WaitAsync(DrainTimeout, CancellationToken.None);
        return new ChildProcessResult(timedOut ? -1 : process.ExitCode, output, timedOut);
    }
}
