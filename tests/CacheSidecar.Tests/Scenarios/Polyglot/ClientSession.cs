using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace CacheSidecar.Tests.Scenarios.Polyglot;

/// <summary>
/// A polyglot client driven line by line: commands go to its stdin, and the test waits, each time for a
/// bounded time, for the next stdout line that matches. Everything exchanged (stderr too) is kept for
/// assertion messages. Disposing kills the client, with its process tree, by this handle only.
/// </summary>
internal sealed class ClientSession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _transcript = new();

    private ClientSession(Process process)
    {
        _process = process;
    }

    /// <summary>What was sent (<c>&gt; …</c>), printed, and written to stderr (<c>! …</c>) so far.</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    public static ClientSession Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var session = new ClientSession(new Process { StartInfo = info });
        session._process.OutputDataReceived += (_, e) => session.Printed(e.Data);
        session._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                session.Record("! " + e.Data);
            }
        };
        try
        {
            session._process.Start();
        }
        catch (Win32Exception e)
        {
            session._process.Dispose();
            throw new InvalidOperationException(
                $"`{fileName}` could not be started ({e.Message}); "
                + "scripts/test.sh installs what the polyglot tests need.",
                e);
        }

        session._process.BeginOutputReadLine();
        session._process.BeginErrorReadLine();
        return session;
    }

    public async Task SendAsync(string line)
    {
        Record("> " + line);
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// Reads printed lines until one matches and returns it; the lines passed over are consumed (they stay
    /// in <see cref="Transcript"/>). Fails, with the transcript, when none matches within
    /// <paramref name="timeout"/> or the client exits first.
    /// </summary>
    /// <param name="what">The line waited for, in words, for the failure message.</param>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(limit.Token);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"The client printed no line {what} within {timeout.TotalSeconds:0.#} s. {Describe()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The client ended before it printed a line {what}. {Describe()}");
        }
    }

    /// <summary>Sends <paramref name="command"/> and waits (bounded) for the client to exit; its exit code.</summary>
    public async Task<int> EndAsync(string command, TimeSpan timeout)
    {
        await SendAsync(command);
        _process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"The client did not exit within {timeout.TotalSeconds:0.#} s of `{command}`. {Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>For assertion messages: the command line and everything exchanged so far.</summary>
    public string Describe()
    {
        var command = string.Join(' ', [_process.StartInfo.FileName, .. _process.StartInfo.ArgumentList]);
        return $"`{command}`, its transcript:\n{Transcript}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }

        _process.Dispose();
    }

    private void Printed(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete(); // stdout closed: the client has ended
            return;
        }

        Record(line);
        _lines.Writer.TryWrite(line);
    }

    private void Record(string line)
    {
        lock (_transcript)
        {
            _transcript.AppendLine(line);
        }
    }
}
