using System.Diagnostics;
using System.Text;

namespace CacheSidecar.Testing;

/// <summary>
/// The last lines a child process wrote to stdout and stderr, interleaved as they arrived. Bounded, so a
/// sidecar that logs for minutes cannot grow the caller's memory; the text says how many lines were
/// dropped, so a reader knows the start is missing. It also knows when both pipes have closed, so a
/// caller can wait for an exited process's last lines by that condition instead of by a sleep.
/// </summary>
internal sealed class OutputTail
{
    private readonly int _linesKept;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dropped;

    public OutputTail(int linesKept)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linesKept);
        _linesKept = linesKept;
    }

    /// <summary>The kept lines, each followed by a newline, after a note of the dropped ones if any.</summary>
    public string Text
    {
        get
        {
            lock (_lines)
            {
                var text = new StringBuilder();
                if (_dropped > 0)
                {
                    text.Append("[... ").Append(_dropped).Append(" earlier lines dropped]").AppendLine();
                }

                foreach (var line in _lines)
                {
                    text.AppendLine(line);
                }

                return text.ToString();
            }
        }
    }

    /// <summary>Starts reading the process's redirected stdout and stderr into this tail.</summary>
    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(e.Data, _stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(e.Data, _stderrClosed);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, until both pipes have closed: after the process exited,
    /// every line it wrote is then in <see cref="Text"/>. False if a pipe is still open (a grandchild holding it).
    /// </summary>
    public bool WaitUntilClosed(TimeSpan timeout) => Task.WaitAll([_stdoutClosed.Task, _stderrClosed.Task], timeout);

    private void Append(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult(); // end of that stream
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > _linesKept)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }
}
