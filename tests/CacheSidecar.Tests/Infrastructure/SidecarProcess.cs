using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// The built sidecar started as a real process (<c>dotnet CacheSidecar.dll</c>), for tests that
/// need a real process: start-up, refusal of bad configuration, kill and restart.
/// Only ever stops the process it started, by its PID.
/// </summary>
internal sealed class SidecarProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SidecarProcess(Process process, Uri address, Uri httpAddress, Uri healthAddress)
    {
        _process = process;
        Address = address;
        HttpAddress = httpAddress;
        HealthAddress = healthAddress;
    }

    /// <summary>The gRPC API (HTTP/2).</summary>
    public Uri Address { get; }

    /// <summary>The HTTP/JSON API (gRPC JSON transcoding, HTTP/1.1).</summary>
    public Uri HttpAddress { get; }

    /// <summary>/healthz, /readyz and /metrics (HTTP/1.1).</summary>
    public Uri HealthAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the sidecar with environment overrides; does not wait for readiness.</summary>
    /// <param name="scheme">http, or https for a TLS endpoint (its certificate comes in <paramref name="environment"/>).</param>
    /// <param name="listenHost">The host of the Kestrel endpoint URL; <see cref="Address"/> always dials 127.0.0.1.</param>
    public static SidecarProcess Start(IDictionary<string, string?> environment, string scheme = "http", string listenHost = "127.0.0.1")
    {
        var port = FreePort();
        var httpPort = FreePort();
        var healthPort = FreePort();
        var sidecarDirectory = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(sidecarDirectory, "CacheSidecar.dll"), "--contentRoot", SidecarContentRoot() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["Kestrel__Endpoints__Grpc__Url"] = $"{scheme}://{listenHost}:{port}";
        info.Environment["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["Kestrel__Endpoints__Health__Url"] = $"http://127.0.0.1:{healthPort}";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Poll watched config files instead of holding inotify instances (128 per user), which
        // dozens of parallel sidecars would exhaust.
        info.Environment["DOTNET_USE_POLLING_FILE_WATCHER"] = "true";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var sidecar = new SidecarProcess(process, new Uri($"{scheme}://127.0.0.1:{port}"), new Uri($"http://127.0.0.1:{httpPort}"), new Uri($"http://127.0.0.1:{healthPort}"));
        process.OutputDataReceived += (_, e) => sidecar.Append(e.Data);
        process.ErrorDataReceived += (_, e) => sidecar.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sidecar;
    }

    /// <summary>Waits (bounded) until the gRPC health service answers SERVING (or, with
    /// <paramref name="anyStatus"/>, answers at all: listening, with a dependency possibly down).</summary>
    public async Task<TimeSpan> WaitUntilServingAsync(TimeSpan timeout, bool anyStatus = false, GrpcChannelOptions? channelOptions = null)
    {
        var clock = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(Address, channelOptions ?? new GrpcChannelOptions());
        var health = new Health.HealthClient(channel);
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The sidecar exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(1));
                if (anyStatus || reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return clock.Elapsed;
                }
            }
            catch (Grpc.Core.RpcException ex) when (anyStatus && ex.StatusCode != Grpc.Core.StatusCode.Unavailable)
            {
                // It answered (a health check timed out on a dependency that is down on purpose).
                return clock.Elapsed;
            }
            catch (Grpc.Core.RpcException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The sidecar did not serve within {timeout}:\n{Output}");
    }

    public int Pid => _process.Id;

    /// <summary>SIGKILL: the process gets no chance to finish anything (a crash, an OOM kill).</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM: what Kubernetes sends before the grace period runs out.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGSTOP: freezes the process mid-whatever, so a test can look at its state and then kill it exactly there.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT: lets a frozen process run on.</summary>
    public void Thaw() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>src/Sidecar, where appsettings.json (the embedded default's namespaces) lives.</summary>
    private static string SidecarContentRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CacheSidecar.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "Sidecar");
    }

    // Ports below the kernel's ephemeral range (usually 32768-60999): a port picked with bind(0)
    // and released can be handed out again at once, to another test's bind(0) or to an outgoing
    // connection, before the sidecar binds it ("address already in use"). Nothing takes ports
    // from this range implicitly, and each is handed out once per test process.
    private static int _nextPort = 20_000 + Random.Shared.Next(10_000);

    internal static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _nextPort);
            if (port >= 32_000)
            {
                Interlocked.CompareExchange(ref _nextPort, 20_000, port);
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken by something else: try the next one
            }
        }
    }
}
