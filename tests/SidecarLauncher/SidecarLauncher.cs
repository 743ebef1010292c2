using System.Diagnostics;
using System.Globalization;

namespace CacheSidecar.Testing;

/// <summary>
/// Starts the built sidecar (<c>dotnet CacheSidecar.dll --contentRoot src/Sidecar</c>) as a real child
/// process on free loopback ports, configured only through environment variables. The one place that
/// starts sidecar processes, for the process-level tests and the bench alike, so both exercise the
/// sidecar the same way and a fix to the start-up dance (ports, environment, readiness) lands once.
/// </summary>
public static class SidecarLauncher
{
    /// <summary>Where the clients dial, whatever host the sidecar was told to listen on.</summary>
    private const string Loopback = "127.0.0.1";

    /// <summary>Tries of <see cref="StartAsync"/>: a port can be taken between picking and binding it.</summary>
    private const int MaxPortAttempts = 3;

    /// <summary>
    /// Starts the process and returns at once, without waiting for readiness: for tests of a sidecar
    /// that should refuse to start, and for callers that time the start from here.
    /// </summary>
    /// <exception cref="FileNotFoundException">
    /// <see cref="SidecarLaunchOptions.AssemblyPath"/> does not exist.
    /// </exception>
    public static SidecarProcess Launch(SidecarLaunchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(options.AssemblyPath))
        {
            throw new FileNotFoundException(
                $"The sidecar build {options.AssemblyPath} does not exist.", options.AssemblyPath);
        }

        var grpcPort = FreeLoopbackPorts.Next();
        var httpPort = options.ReserveHttpPort ? FreeLoopbackPorts.Next() : 0;
        var healthPort = FreeLoopbackPorts.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { options.AssemblyPath, "--contentRoot", options.ContentRoot },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Production, whatever the caller's shell says: the checks a real deployment runs, no developer extras.
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Kestrel__Endpoints__Grpc__Url"] = Url(options.Scheme, options.ListenHost, grpcPort);
        info.Environment["Kestrel__Endpoints__Http__Url"] = Url("http", Loopback, httpPort);
        info.Environment["Kestrel__Endpoints__Health__Url"] = Url("http", Loopback, healthPort);
        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }

        var output = new OutputTail(options.OutputLinesKept);
        var launched = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var sidecar = new SidecarProcess(
            options,
            process,
            output,
            launched,
            new Uri(Url(options.Scheme, Loopback, grpcPort)),
            options.ReserveHttpPort ? new Uri(Url("http", Loopback, httpPort)) : null,
            new Uri(Url("http", Loopback, healthPort)));
        output.Attach(process);
        return sidecar;
    }

    /// <summary>
    /// Starts a sidecar and waits, at most <paramref name="timeout"/>, until gRPC health answers SERVING.
    /// If its port was taken in the meantime ("address already in use"), starts it again on other ports.
    /// </summary>
    /// <exception cref="SidecarExitedException">It exited (e.g. refused its configuration).</exception>
    /// <exception cref="TimeoutException">It did not serve within <paramref name="timeout"/>.</exception>
    public static async Task<SidecarProcess> StartAsync(
        SidecarLaunchOptions options, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var sidecar = Launch(options);
            try
            {
                await sidecar.WaitUntilServingAsync(timeout, cancellationToken: cancellationToken);
                return sidecar;
            }
            catch (SidecarExitedException ex) when (attempt < MaxPortAttempts && IsPortTaken(ex))
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

    private static bool IsPortTaken(SidecarExitedException ex) =>
        ex.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    private static string Url(string scheme, string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{port}");
}
