using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CacheSidecar.Bench.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// A sidecar started from a publish directory: <c>dotnet CacheSidecar.dll</c> or a native executable
/// (self-contained apphost, Native AOT). The shared <see cref="SidecarLauncher"/> only starts
/// <c>dotnet &lt;dll&gt;</c>, which a trimmed or AOT publish cannot be run as, so every footprint row
/// starts through this one class instead (same ports, environment, readiness probe for all rows).
/// Only ever kills the process it started, by its PID; the bench's exit kills any left over.
/// </summary>
internal sealed class FootprintSidecar : IAsyncDisposable
{
    /// <summary>The first lines are the ones that say why a start failed; a long run's later lines are not needed.</summary>
    private const int OutputLinesKept = 200;

    private const int MaxPortAttempts = 3;

    /// <summary>Readiness is polled this often: a start is then timed to within a few ms without taking a core from it.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private static readonly ConcurrentDictionary<FootprintSidecar, byte> Live = CreateRegistryKilledOnExit();

    private readonly Process _process;
    private readonly List<string> _output = [];
    private int _disposed;

    private FootprintSidecar(Process process, long launched, Uri address, Uri healthAddress)
    {
        _process = process;
        Launched = launched;
        Address = address;
        HealthAddress = healthAddress;
        Live.TryAdd(this, 0);
    }

    public int Pid => _process.Id;

    /// <summary><see cref="Stopwatch"/> timestamp taken right before <see cref="Process.Start()"/>.</summary>
    public long Launched { get; }

    /// <summary>The gRPC endpoint (h2c on 127.0.0.1).</summary>
    public Uri Address { get; }

    /// <summary><c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
    public Uri HealthAddress { get; }

    /// <summary>The first <see cref="OutputLinesKept"/> lines of stdout and stderr.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>
    /// Starts the publish and waits until gRPC health answers SERVING; on "address already in use" (a
    /// port taken between picking and binding it) starts it again on other ports.
    /// </summary>
    /// <returns>The sidecar and its start-to-ready time (launch to the first SERVING).</returns>
    /// <exception cref="StartFailedException">It exited or did not serve within <paramref name="timeout"/>.</exception>
    public static async Task<(FootprintSidecar Sidecar, TimeSpan Ready)> StartAsync(
        PublishResult publish, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var sidecar = Launch(publish, environment);
            try
            {
                return (sidecar, await sidecar.WaitUntilServingAsync(timeout, cancellationToken));
            }
            catch (StartFailedException ex) when (attempt < MaxPortAttempts && ex.Output.Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
            {
                await sidecar.DisposeAsync();
            }
            catch
            {
                await sidecar.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The Prometheus text of <c>/metrics</c>, or null when it does not answer.</summary>
    public async Task<PrometheusText?> TryScrapeMetricsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            return new PrometheusText(await http.GetStringAsync(new Uri(HealthAddress, "/metrics"), cancellationToken));
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Throws <see cref="StartFailedException"/> (with the first lines it wrote) if the process is gone.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            _process.WaitForExit(); // drains the redirected output
            throw new StartFailedException($"exited with code {_process.ExitCode}", Output);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Live.TryRemove(this, out _);
        KillQuietly();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"Sidecar pid {Pid} did not exit 10 s after SIGKILL.");
        }

        _process.Dispose();
    }

    private static FootprintSidecar Launch(PublishResult publish, IReadOnlyDictionary<string, string?> environment)
    {
        var (fileName, arguments) = publish.Command;
        var grpcPort = FreeLoopbackPorts.Next();
        var healthPort = FreeLoopbackPorts.Next();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // src/Sidecar as content root, as every other bench command: the same appsettings.json for every row.
        info.ArgumentList.Add("--contentRoot");
        info.ArgumentList.Add(RepositoryPaths.SidecarContentRoot);
        // As SidecarLauncher does: Production, and only the three endpoints (HTTP/JSON on a port Kestrel picks).
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Kestrel__Endpoints__Grpc__Url"] = Url(grpcPort);
        info.Environment["Kestrel__Endpoints__Http__Url"] = Url(0);
        info.Environment["Kestrel__Endpoints__Health__Url"] = Url(healthPort);
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var launched = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new BenchFailedException($"{fileName} did not start.");
        var sidecar = new FootprintSidecar(process, launched, new Uri(Url(grpcPort)), new Uri(Url(healthPort)));
        process.OutputDataReceived += (_, e) => sidecar.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => sidecar.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sidecar;
    }

    /// <summary>
    /// Polls gRPC health every 10 ms on a channel whose reconnect back-off is 5 ms (the client's default,
    /// 1 s and growing, would time a start to the client's next retry); the time since the launch.
    /// </summary>
    private async Task<TimeSpan> WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(5),
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(5),
        });
        var health = new Health.HealthClient(channel);
        while (true)
        {
            ThrowIfExited();
            var attemptAt = Stopwatch.GetTimestamp();
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
                // Not listening yet, or its dependencies not answering yet.
            }

            if (Stopwatch.GetElapsedTime(Launched) > timeout)
            {
                throw new StartFailedException($"did not serve within {timeout.TotalSeconds:0} s", Output);
            }

            var next = PollInterval - Stopwatch.GetElapsedTime(attemptAt);
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, cancellationToken);
            }
        }
    }

    private void Keep(string? line)
    {
        lock (_output)
        {
            if (line is not null && _output.Count < OutputLinesKept)
            {
                _output.Add(line);
            }
        }
    }

    private void KillQuietly()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
    }

    private static string Url(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");

    private static ConcurrentDictionary<FootprintSidecar, byte> CreateRegistryKilledOnExit()
    {
        var live = new ConcurrentDictionary<FootprintSidecar, byte>();
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
