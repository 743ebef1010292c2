using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace CacheSidecar.Tests.Scenarios.Polyglot;

/// <summary>What a finished child process left: its exit code and its interleaved stdout/stderr.</summary>
internal sealed record ClientRun(string Command, int ExitCode, string Output, bool TimedOut)
{
    /// <summary>For assertion messages: the command, how it ended and everything it printed.</summary>
    public override string ToString() =>
        $"`{Command}` {(TimedOut ? "was killed after its time limit" : $"exited {ExitCode}")}; its output:\n{Output}";
}

/// <summary>
/// Runs a command (a polyglot client, protoc) to completion within a bounded time. A child that
/// overruns is killed, with its whole process tree, by this handle only: nothing else is touched.
/// </summary>
internal static class ClientProcess
{
    public static async Task<ClientRun> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var command = string.Join(' ', [fileName, .. info.ArgumentList]);
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            // Not installed: say what to install rather than failing with a bare "file not found".
            throw new InvalidOperationException($"`{fileName}` could not be started ({e.Message}); scripts/test.sh installs what the polyglot tests need.", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var timedOut = false;
        using (var limit = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        lock (output)
        {
            return new ClientRun(command, process.ExitCode, output.ToString(), timedOut);
        }
    }
}
