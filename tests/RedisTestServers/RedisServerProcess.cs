using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using CacheSidecar.Testing.Redis.Internal;

namespace CacheSidecar.Testing.Redis;

/// <summary>
/// One real <c>redis-server</c> child process on 127.0.0.1, run from a generated config file in a temp
/// directory that the instance owns. Supports SIGKILL, graceful stop and restart on the same port and data
/// directory, for crash/recovery tests. Not thread-safe: one test drives an instance at a time.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private const int MaxPortAttempts = 5;
    private const int MaxRestartAttempts = 3;
    private const int LogTailLines = 40;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RestartRetryDelay = TimeSpan.FromMilliseconds(200);

    // Instances not yet disposed. Killed on ProcessExit so a test run that forgets DisposeAsync, or is ended with
    // SIGTERM, leaves no redis-server behind. (Nothing can help if the test host itself is SIGKILLed.)
    private static readonly ConcurrentDictionary<RedisServerProcess, byte> Live = CreateRegistryKilledOnExit();

    private readonly RedisServerOptions _options;
    private readonly bool _ownsDataDirectory;
    private readonly List<int> _heldPorts = [];
    private Process? _process;
    private int _pid;
    private bool _disposed;

    private RedisServerProcess(RedisServerOptions options)
    {
        _options = options;
        WorkingDirectory = Directory.CreateTempSubdirectory("cachesidecar-redis-").FullName;
        _ownsDataDirectory = options.DataDirectory is null;
        DataDirectory = Path.GetFullPath(options.DataDirectory ?? Path.Combine(WorkingDirectory, "data"));
        Directory.CreateDirectory(DataDirectory);
        Live.TryAdd(this, 0);
    }

    /// <summary>The loopback port clients connect to; fixed for the instance's lifetime once started.</summary>
    public int Port { get; private set; }

    /// <summary>The cluster bus port (<c>cluster-port</c>) when <see cref="RedisServerOptions.ClusterEnabled"/>, else null.</summary>
    public int? ClusterBusPort { get; private set; }

    /// <summary>"127.0.0.1:port", usable as a StackExchange.Redis configuration string.</summary>
    public string EndPoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>PID of the current redis-server process (or of the last one, after Kill/Stop).</summary>
    public int Pid => _pid;

    /// <summary>True while the redis-server process is alive.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Redis <c>dir</c>: AOF files and nodes.conf live here.</summary>
    public string DataDirectory { get; }

    /// <summary>The instance's own temp directory (config, logs; the data directory too unless one was given). Deleted on dispose.</summary>
    public string WorkingDirectory { get; }

    /// <summary>The generated redis.conf.</summary>
    public string ConfigFilePath => Path.Combine(WorkingDirectory, "redis.conf");

    /// <summary>Redis's own log (<c>logfile</c>).</summary>
    public string LogFilePath => Path.Combine(WorkingDirectory, "redis.log");

    /// <summary>stdout/stderr of the process: fatal config errors are printed here, before the logfile is open.</summary>
    public string ConsoleLogFilePath => Path.Combine(WorkingDirectory, "console.log");

    /// <summary>The options this instance was started with.</summary>
    public RedisServerOptions Options => _options;

    /// <summary>
    /// Starts redis-server and returns once it answers PING with PONG. With <see cref="RedisServerOptions.Port"/> 0
    /// a free port is picked, and another one tried if redis-server reports "Address already in use".
    /// </summary>
    /// <exception cref="InvalidOperationException">The server did not come up; the message holds the tail of its log.</exception>
    public static async Task<RedisServerProcess> StartAsync(RedisServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RedisServerOptions();
        options.Validate();
        var server = new RedisServerProcess(options);
        try
        {
            await server.StartOnNewPortsAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL (no chance to flush anything), then waits for the process to be gone.</summary>
    public void Kill()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_process is not null)
        {
            KillAndWait(_process);
        }
    }

    /// <summary>
    /// Graceful stop: <c>SHUTDOWN NOSAVE</c> (AOF is still flushed and fsynced; no RDB is written), then waits for
    /// exit. If the server has not exited within 10 s it is killed and <see cref="TimeoutException"/> is thrown.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        try
        {
            await RespClient.SendAsync(Port, ProbeTimeout, cancellationToken, "SHUTDOWN", "NOSAVE");
        }
        catch (Exception ex) when (IsProbeFailure(ex, cancellationToken))
        {
            // Judged by whether the process exits below.
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ExitTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KillAndWait(process);
            throw new TimeoutException(
                $"redis-server {EndPoint} (pid {Pid}) did not exit within {ExitTimeout.TotalSeconds:0} s of SHUTDOWN NOSAVE and was killed.");
        }
    }

    /// <summary>
    /// Starts redis-server again on the same port with the same config and data directory (so an AOF is replayed
    /// and a cluster node rejoins), and waits until PING answers PONG rather than LOADING. A running server is
    /// stopped gracefully first.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
        {
            await StopAsync(cancellationToken);
        }

        for (var attempt = 1; attempt <= MaxRestartAttempts; attempt++)
        {
            var outcome = await LaunchAndWaitAsync(cancellationToken);
            if (outcome == LaunchOutcome.Ready)
            {
                return;
            }

            if (!IsPortConflict(outcome) || attempt == MaxRestartAttempts)
            {
                throw StartFailure(outcome);
            }

            // The port is fixed now. A client's outgoing socket can briefly hold it as its ephemeral local port.
            await Task.Delay(RestartRetryDelay, cancellationToken);
        }
    }

    /// <summary>The last lines of redis.log and of the console output, for assertion messages.</summary>
    public string ReadLogTail(int maxLines = LogTailLines)
    {
        var builder = new StringBuilder();
        builder.AppendLine("--- redis.log (tail) ---").AppendLine(ReadTail(LogFilePath, maxLines));
        builder.AppendLine("--- stdout/stderr (tail) ---").Append(ReadTail(ConsoleLogFilePath, maxLines));
        return builder.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => $"redis-server {EndPoint} (pid {Pid})";

    /// <summary>Kills the process if alive and deletes the temp directory (a caller-supplied data directory is kept).</summary>
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        Live.TryRemove(this, out _);
        try
        {
            if (_process is not null)
            {
                KillAndWait(_process);
                _process.Dispose();
            }
        }
        finally
        {
            _heldPorts.ForEach(LoopbackPorts.Release);
            _heldPorts.Clear();
            if (Directory.Exists(WorkingDirectory))
            {
                Directory.Delete(WorkingDirectory, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }

    private async Task StartOnNewPortsAsync(CancellationToken cancellationToken)
    {
        // Only automatically chosen ports can be swapped for others when another process grabs them first.
        var attempts = _options.Port == 0 ? MaxPortAttempts : 1;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            AssignPorts();
            WriteConfigFile();
            var outcome = await LaunchAndWaitAsync(cancellationToken);
            if (outcome == LaunchOutcome.Ready)
            {
                return;
            }

            if (!IsPortConflict(outcome) || attempt == attempts)
            {
                throw StartFailure(outcome);
            }
        }
    }

    private void AssignPorts()
    {
        _heldPorts.ForEach(LoopbackPorts.Release);
        _heldPorts.Clear();

        var wanted = (_options.Port == 0 ? 1 : 0) + (_options.ClusterEnabled ? 1 : 0);
        var picked = new Queue<int>(wanted > 0 ? LoopbackPorts.Reserve(wanted) : []);
        _heldPorts.AddRange(picked);
        if (_options.Port != 0)
        {
            LoopbackPorts.Hold(_options.Port);
            _heldPorts.Add(_options.Port);
        }

        Port = _options.Port != 0 ? _options.Port : picked.Dequeue();

        // An explicit cluster-port avoids the default port+10000, which may be taken or exceed 65535.
        ClusterBusPort = _options.ClusterEnabled ? picked.Dequeue() : null;
    }

    private void WriteConfigFile()
    {
        var lines = new List<string>
        {
            "# Generated by CacheSidecar.Testing.Redis.RedisServerProcess; rewritten only when ports change.",
            "bind 127.0.0.1",
            Invariant($"port {Port}"),
            "protected-mode yes",
            "daemonize no",
            $"dir {Quote(DataDirectory)}",
            $"logfile {Quote(LogFilePath)}",
            "save \"\"", // no RDB snapshots: persistence is exactly what the options ask for
        };

        if (_options.Persistence == RedisPersistence.None)
        {
            lines.Add("appendonly no");
        }
        else
        {
            lines.Add("appendonly yes");
            lines.Add(_options.Persistence == RedisPersistence.AofAlways ? "appendfsync always" : "appendfsync everysec");
        }

        if (_options.ClusterEnabled)
        {
            lines.Add("cluster-enabled yes");
            lines.Add($"cluster-config-file {Quote(Path.Combine(DataDirectory, "nodes.conf"))}");
            lines.Add(Invariant($"cluster-port {ClusterBusPort}"));
            lines.Add(Invariant($"cluster-node-timeout {(long)_options.ClusterNodeTimeout.TotalMilliseconds}"));
        }

        lines.AddRange(_options.ExtraConfigLines);
        File.WriteAllLines(ConfigFilePath, lines);
    }

    private async Task<LaunchOutcome> LaunchAndWaitAsync(CancellationToken cancellationToken)
    {
        var process = Launch();
        var outcome = await WaitUntilReadyAsync(process, cancellationToken);
        if (outcome != LaunchOutcome.Ready)
        {
            KillAndWait(process); // never leave a half-started server behind
        }

        return outcome;
    }

    private Process Launch()
    {
        _process?.Dispose();
        _process = null;
        File.Delete(ConsoleLogFilePath);

        // `exec` makes the shell become redis-server (same PID), so Kill() hits redis itself. Going through the
        // shell sends stdout/stderr to a file instead of a pipe: a forked AOF-rewrite child could hold a pipe
        // open after the server dies, and Process.WaitForExitAsync waits for redirected pipes to close.
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("exec \"$0\" \"$1\" >\"$2\" 2>&1 </dev/null");
        startInfo.ArgumentList.Add(_options.ServerExecutable);
        startInfo.ArgumentList.Add(ConfigFilePath);
        startInfo.ArgumentList.Add(ConsoleLogFilePath);

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start /bin/sh.");
        _process = process;
        _pid = process.Id;
        return process;
    }

    private async Task<LaunchOutcome> WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < _options.StartupTimeout)
        {
            if (process.HasExited)
            {
                return LaunchOutcome.Exited;
            }

            try
            {
                if (await RespClient.ExecuteAsync(Port, ProbeTimeout, cancellationToken, "PING") is "PONG")
                {
                    // Make sure the PONG came from our process, not from another server that won the port.
                    var info = await RespClient.ExecuteAsync(Port, ProbeTimeout, cancellationToken, "INFO", "server") as string;
                    return ReadInfoField(info, "process_id") == Invariant($"{process.Id}")
                        ? LaunchOutcome.Ready
                        : LaunchOutcome.PortOwnedByAnotherProcess;
                }

                // Otherwise -LOADING (AOF replay) or similar: not ready yet.
            }
            catch (Exception ex) when (IsProbeFailure(ex, cancellationToken))
            {
                // Not listening yet.
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return process.HasExited ? LaunchOutcome.Exited : LaunchOutcome.TimedOut;
    }

    private bool IsPortConflict(LaunchOutcome outcome) =>
        outcome == LaunchOutcome.PortOwnedByAnotherProcess
        || (outcome == LaunchOutcome.Exited && ReadLogTail().Contains("Address already in use", StringComparison.Ordinal));

    private InvalidOperationException StartFailure(LaunchOutcome outcome)
    {
        var reason = outcome switch
        {
            LaunchOutcome.Exited when _process is { ExitCode: 127 } =>
                $"'{_options.ServerExecutable}' was not found; install the Debian package redis-server or put redis-server on PATH",
            LaunchOutcome.Exited => Invariant($"the process exited with code {_process?.ExitCode}"),
            LaunchOutcome.TimedOut => $"no PONG within {_options.StartupTimeout.TotalSeconds:0.#} s",
            LaunchOutcome.PortOwnedByAnotherProcess => "another process answered on the port",
            _ => outcome.ToString(),
        };
        return new InvalidOperationException(
            $"redis-server on {EndPoint} did not start: {reason}.{Environment.NewLine}"
            + $"--- redis.conf ---{Environment.NewLine}{ReadTail(ConfigFilePath, LogTailLines)}{Environment.NewLine}"
            + ReadLogTail());
    }

    private static void KillAndWait(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(); // SIGKILL to this Process object's own PID only
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }

        if (!process.WaitForExit(ExitTimeout))
        {
            throw new TimeoutException(Invariant($"redis-server pid {process.Id} did not exit after SIGKILL."));
        }
    }

    private static bool IsProbeFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is SocketException or IOException or InvalidDataException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    internal static string? ReadInfoField(string? info, string field)
    {
        foreach (var line in (info ?? "").Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return line[(field.Length + 1)..];
            }
        }

        return null;
    }

    private static string ReadTail(string path, int maxLines)
    {
        try
        {
            // Shared access: redis-server may still be writing the file.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join(Environment.NewLine, lines.TakeLast(maxLines));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return "(none)";
        }
    }

    // Redis config strings: double quotes with backslash escapes, so paths with spaces survive.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private void KillQuietly()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static ConcurrentDictionary<RedisServerProcess, byte> CreateRegistryKilledOnExit()
    {
        var live = new ConcurrentDictionary<RedisServerProcess, byte>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in live.Keys)
            {
                server.KillQuietly();
            }
        };
        return live;
    }

    private enum LaunchOutcome
    {
        Ready,
        Exited,
        TimedOut,
        PortOwnedByAnotherProcess,
    }
}
