using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Testing;

/// <summary>
/// A sidecar started by <see cref="SidecarLauncher"/>: its addresses, its output, readiness, signals.
/// Only ever signals or kills the process it started, by that process's own PID (never by name); disposing
/// kills it, and so — as a safety net for a crash of the caller or a forgotten dispose — does the
/// caller's exit.
/// </summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    /// <summary>How long a dispose waits for the killed process; SIGKILL cannot be ignored: ample.</summary>
    private static readonly TimeSpan ExitAfterKill = TimeSpan.FromSeconds(10);

    /// <summary>How long an exited process's last lines may take to arrive through its closed pipes.</summary>
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(5);

    /// <summary>Bounds each call to the <c>kill</c> command.</summary>
    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(10);

    // Sidecars not yet disposed; killed on ProcessExit so none outlives the test run or the bench.
    private static readonly ConcurrentDictionary<SidecarProcess, byte> Live = CreateRegistryKilledOnExit();

    // Probes and scrapes of the health endpoint (HTTP/1.1); one connection pool for every sidecar.
    private static readonly HttpClient Http =
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    private readonly Process _process;
    private readonly OutputTail _output;
    private readonly ServingProbe _probe;
    private int _disposed;

    internal SidecarProcess(
        SidecarLaunchOptions options,
        Process process,
        OutputTail output,
        long launched,
        Uri address,
        Uri? httpAddress,
        Uri healthAddress)
    {
        Name = options.Name;
        _probe = options.Probe;
        _process = process;
        _output = output;
        Launched = launched;
        Address = address;
        HttpAddress = httpAddress;
        HealthAddress = healthAddress;
        Live.TryAdd(this, 0);
    }

    /// <summary>The label given in <see cref="SidecarLaunchOptions.Name"/>.</summary>
    public string Name { get; }

    /// <summary>The gRPC API (HTTP/2) and gRPC health, always dialled on 127.0.0.1.</summary>
    public Uri Address { get; }

    /// <summary>
    /// The HTTP/JSON API (gRPC JSON transcoding, HTTP/1.1); null without
    /// <see cref="SidecarLaunchOptions.ReserveHttpPort"/>.
    /// </summary>
    public Uri? HttpAddress { get; }

    /// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (HTTP/1.1).</summary>
    public Uri HealthAddress { get; }

    /// <summary>The process's own PID: what every signal and kill here is sent to.</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// <see cref="Stopwatch"/> timestamp taken right before the process was started, to time a start from.
    /// </summary>
    public long Launched { get; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; only once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// What the sidecar wrote to stdout and stderr: the last <see cref="SidecarLaunchOptions.OutputLinesKept"/> lines.
    /// </summary>
    public string Output => _output.Text;

    /// <summary>
    /// Polls gRPC health until it answers SERVING (or, with <paramref name="anyStatus"/>, answers at all:
    /// listening, with a dependency possibly down on purpose), at most <paramref name="timeout"/> from now.
    /// </summary>
    /// <param name="timeout">The bound of the whole wait.</param>
    /// <param name="anyStatus">Any answer will do, not only SERVING.</param>
    /// <param name="channelOptions">
    /// For a TLS endpoint: the handler that trusts its certificate. Used as given, in place of the channel
    /// <see cref="SidecarLaunchOptions.Probe"/> would pick.
    /// </param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <returns>The time from the launch to the answer.</returns>
    /// <exception cref="SidecarExitedException">The process exited before it answered.</exception>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    public async Task<TimeSpan> WaitUntilServingAsync(
        TimeSpan timeout,
        bool anyStatus = false,
        GrpcChannelOptions? channelOptions = null,
        CancellationToken cancellationToken = default)
    {
        var waiting = Stopwatch.StartNew();
        using var channel = channelOptions is not null ? GrpcChannel.ForAddress(Address, channelOptions)
            : _probe.FastReconnect ? CreateStartupChannel()
            : GrpcChannel.ForAddress(Address);
        var health = new Health.HealthClient(channel);
        while (waiting.Elapsed < timeout)
        {
            ThrowIfExited();
            try
            {
                var reply = await health.CheckAsync(
                    new HealthCheckRequest(),
                    deadline: DateTime.UtcNow.Add(_probe.CallDeadline),
                    cancellationToken: cancellationToken);
                if (anyStatus || reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return Stopwatch.GetElapsedTime(Launched);
                }
            }
            catch (RpcException ex) when (anyStatus && ex.StatusCode != StatusCode.Unavailable
                && !cancellationToken.IsCancellationRequested)
            {
                // It answered (a health check timed out on a dependency that is down on purpose).
                return Stopwatch.GetElapsedTime(Launched);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // Not listening yet, or a dependency not answering yet.
            }

            await Task.Delay(_probe.Interval, cancellationToken);
        }

        throw new TimeoutException($"Sidecar {Name} did not serve within {timeout}:\n{Output}");
    }

    /// <summary>
    /// A channel for polling a sidecar that is still starting. The client's reconnect back-off (1 s,
    /// growing by 1.6× with jitter, by default) would otherwise space the attempts after the first
    /// refused connection, and a start would be timed to the client's next retry instead of to the
    /// moment the sidecar could answer.
    /// </summary>
    public GrpcChannel CreateStartupChannel() => GrpcChannel.ForAddress(Address, new GrpcChannelOptions
    {
        InitialReconnectBackoff = TimeSpan.FromMilliseconds(5),
        MaxReconnectBackoff = TimeSpan.FromMilliseconds(5),
    });

    /// <summary>True when <c>/readyz</c> answers 200; false when it answers otherwise or nothing listens yet.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(HealthAddress, "/readyz"), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // the client's timeout
        }
    }

    /// <summary>
    /// The Prometheus text of <c>/metrics</c> now (the exporter may serve a response cached for a few
    /// hundred ms), for callers that read the sidecar's own counters.
    /// </summary>
    public Task<string> ReadMetricsAsync(CancellationToken cancellationToken = default) =>
        Http.GetStringAsync(new Uri(HealthAddress, "/metrics"), cancellationToken);

    /// <summary>Throws <see cref="SidecarExitedException"/>, with the process's last lines, if it is gone.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            _output.WaitUntilClosed(OutputDrain); // its last lines may still be in the pipes
            throw new SidecarExitedException(Name, _process.ExitCode, Output);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything (a crash, an OOM kill).</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM: what Kubernetes sends before the grace period runs out.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>
    /// SIGSTOP: freezes the process mid-whatever, so a test can look at its state and then kill it exactly there.
    /// </summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT: lets a frozen process run on.</summary>
    public void Thaw() => Signal("CONT");

    /// <summary>Waits, at most <paramref name="timeout"/>, for the process to exit; its exit code.</summary>
    /// <exception cref="OperationCanceledException">It did not exit within <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the process by its PID (SIGKILL) if it still runs, and waits (bounded) for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Live.TryRemove(this, out _);
        KillQuietly();
        using var timeout = new CancellationTokenSource(ExitAfterKill);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync(
                $"Sidecar {Name} (pid {Pid}) did not exit {ExitAfterKill.TotalSeconds:0} s after SIGKILL.");
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        var pid = Pid.ToString(CultureInfo.InvariantCulture);
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start.");
        if (!kill.WaitForExit(SignalTimeout))
        {
            throw new TimeoutException($"kill -{signal} {pid} did not finish within {SignalTimeout}.");
        }
    }

    private void KillQuietly()
    {
        try
        {
            if (!_process.HasExited)
            {
                // `dotnet CacheSidecar.dll` runs the app in this very process; the tree flag only
                // reaches children it may have started itself.
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
    }

    private static ConcurrentDictionary<SidecarProcess, byte> CreateRegistryKilledOnExit()
    {
        var live = new ConcurrentDictionary<SidecarProcess, byte>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var sidecar in live.Keys)
            {
                sidecar.KillQuietly();
            }
        };
        return live;
    }
}
