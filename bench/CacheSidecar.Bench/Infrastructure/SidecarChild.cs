using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// The built sidecar (<c>dotnet CacheSidecar.dll --contentRoot src/Sidecar</c>) as a child process on a
/// free loopback port, configured only through environment variables. It is killed by its own PID on
/// dispose, and — as a safety net for an unhandled crash or a second Ctrl+C — on process exit.
/// </summary>
internal sealed class SidecarChild : IAsyncDisposable
{
    private const int OutputLinesKept = 200;
    private const int MaxPortAttempts = 3;

    // Children not yet disposed; killed on ProcessExit so no sidecar outlives the bench.
    private static readonly ConcurrentDictionary<SidecarChild, byte> Live = CreateRegistryKilledOnExit();

    // Probes and scrapes of the health endpoint (HTTP/1.1); one pool for every child.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private SidecarChild(string name, Process process, Uri address, Uri healthAddress, long launched)
    {
        Name = name;
        _process = process;
        Address = address;
        HealthAddress = healthAddress;
        Launched = launched;
    }

    /// <summary>A label for messages, e.g. "flush-A(500)".</summary>
    public string Name { get; }

    /// <summary>The gRPC (h2c) endpoint: the cache API and gRPC health.</summary>
    public Uri Address { get; }

    /// <summary>The health endpoint (HTTP/1.1): <c>/readyz</c>, <c>/healthz</c>, <c>/metrics</c>.</summary>
    public Uri HealthAddress { get; }

    public int Pid => _process.Id;

    /// <summary><see cref="Stopwatch"/> timestamp taken right before <see cref="Process.Start(ProcessStartInfo)"/>.</summary>
    public long Launched { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the sidecar wrote to stdout/stderr.</summary>
    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>
    /// Starts a sidecar and waits until gRPC health answers SERVING. Retries on another port if the
    /// picked one was taken in the meantime. A sidecar that exits (e.g. refused configuration) raises
    /// <see cref="SidecarExitedException"/> with its output.
    /// </summary>
    public static async Task<SidecarChild> StartAsync(string name, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var child = Launch(name, environment);
            try
            {
                await child.WaitUntilServingAsync(TimeSpan.FromSeconds(60), cancellationToken);
                return child;
            }
            catch (SidecarExitedException ex) when (attempt < MaxPortAttempts && ex.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await child.DisposeAsync();
            }
            catch
            {
                await child.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts the process and returns at once (the flusher bench times from here).</summary>
    public static SidecarChild Launch(string name, IReadOnlyDictionary<string, string> environment)
    {
        var assembly = RepositoryPaths.SidecarAssembly;
        if (!File.Exists(assembly))
        {
            throw new BenchFailedException($"{assembly} does not exist; build with: dotnet build -c {RepositoryPaths.BuildConfiguration} bench/CacheSidecar.Bench");
        }

        var port = FreeLoopbackPort();
        var healthPort = FreeLoopbackPort();
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { assembly, "--contentRoot", RepositoryPaths.SidecarContentRoot },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Kestrel__Endpoints__Grpc__Url"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        // The HTTP/JSON endpoint is not measured; port 0 keeps parallel sidecars from clashing.
        // The health endpoint gets a port of its own: fastpath polls /readyz and reads /metrics there.
        info.Environment["Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:0";
        info.Environment["Kestrel__Endpoints__Health__Url"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{healthPort}");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var launched = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new BenchFailedException("dotnet did not start.");
        var child = new SidecarChild(
            name,
            process,
            new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")),
            new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{healthPort}")),
            launched);
        Live.TryAdd(child, 0);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
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

    /// <summary>Polls gRPC health until SERVING; returns the time since launch.</summary>
    public async Task<TimeSpan> WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = CreateStartupChannel();
        var health = new Health.HealthClient(channel);
        while (Stopwatch.GetElapsedTime(Launched) < timeout)
        {
            ThrowIfExited();
            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return Stopwatch.GetElapsedTime(Launched);
                }
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // Not listening yet, or a dependency not answering yet.
            }

            await Task.Delay(25, cancellationToken);
        }

        throw new BenchFailedException($"Sidecar {Name} did not serve within {timeout.TotalSeconds:0} s:\n{OutputTail}");
    }

    /// <summary>True when <c>/readyz</c> answers 200; false when it answers otherwise or nothing listens yet.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
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

    /// <summary>The sidecar's <c>/metrics</c> now (the Prometheus exporter may serve a response cached for a few hundred ms).</summary>
    public async Task<PrometheusText> ScrapeMetricsAsync(CancellationToken cancellationToken) =>
        new(await Http.GetStringAsync(new Uri(HealthAddress, "/metrics"), cancellationToken));

    /// <summary>Throws <see cref="SidecarExitedException"/> if the process is gone.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            _process.WaitForExit(); // drains the redirected output into the tail
            throw new SidecarExitedException(Name, _process.ExitCode, OutputTail);
        }
    }

    /// <summary>Kills the process by its PID (SIGKILL) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        Live.TryRemove(this, out _);
        KillQuietly();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"Sidecar {Name} (pid {Pid}) did not exit 10 s after SIGKILL.");
        }

        _process.Dispose();
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ConcurrentDictionary<SidecarChild, byte> CreateRegistryKilledOnExit()
    {
        var live = new ConcurrentDictionary<SidecarChild, byte>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var child in live.Keys)
            {
                child.KillQuietly();
            }
        };
        return live;
    }
}

/// <summary>The sidecar process ended; <see cref="Output"/> holds what it printed (e.g. a refused configuration).</summary>
internal sealed class SidecarExitedException(string name, int exitCode, string output)
    : Exception($"Sidecar {name} exited with code {exitCode}:\n{output}")
{
    public int ExitCode { get; } = exitCode;

    public string Output { get; } = output;
}
