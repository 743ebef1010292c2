namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// The bench's sidecars, started by the shared <see cref="SidecarLauncher"/> from
/// <see cref="RepositoryPaths.SidecarAssembly"/> (the build of the bench's own configuration, or the one
/// named by <c>CACHESIDECAR_BENCH_SIDECAR</c>), with what the bench needs on top: a build hint when that
/// build is missing, and a start that does not serve reported as a <see cref="BenchFailedException"/>.
/// </summary>
internal static class BenchSidecar
{
    /// <summary>The output kept for messages: enough for a refusal or a crash, not the log of a long run.</summary>
    private const int OutputLinesKept = 200;

    private static readonly TimeSpan ServingTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts a sidecar and waits until gRPC health answers SERVING, on other ports if the picked one
    /// was taken in the meantime. A sidecar that exits (e.g. refused configuration) raises
    /// <see cref="SidecarExitedException"/> with its output.
    /// </summary>
    public static async Task<SidecarProcess> StartAsync(
        string name, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        try
        {
            return await SidecarLauncher.StartAsync(Options(name, environment), ServingTimeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new BenchFailedException(ex.Message, ex);
        }
    }

    /// <summary>Starts the process and returns at once (the flusher bench and start-to-ready time from it).</summary>
    public static SidecarProcess Launch(string name, IReadOnlyDictionary<string, string> environment) =>
        SidecarLauncher.Launch(Options(name, environment));

    /// <summary>
    /// Polls gRPC health until SERVING; the time since launch. Not serving in time fails the bench step.
    /// </summary>
    public static async Task<TimeSpan> WaitUntilServingAsync(
        SidecarProcess sidecar, CancellationToken cancellationToken)
    {
        try
        {
            return await sidecar.WaitUntilServingAsync(ServingTimeout, cancellationToken: cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new BenchFailedException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The sidecar's <c>/metrics</c> now (the Prometheus exporter may serve a response cached for a few
    /// hundred ms).
    /// </summary>
    public static async Task<PrometheusText> ScrapeMetricsAsync(
        this SidecarProcess sidecar, CancellationToken cancellationToken) =>
        new(await sidecar.ReadMetricsAsync(cancellationToken));

    private static SidecarLaunchOptions Options(string name, IReadOnlyDictionary<string, string> environment)
    {
        var assembly = RepositoryPaths.SidecarAssembly;
        if (!File.Exists(assembly))
        {
            var configuration = RepositoryPaths.BuildConfiguration;
            throw new BenchFailedException(
                $"{assembly} does not exist; build with: dotnet build -c {configuration} bench/CacheSidecar.Bench");
        }

        return new SidecarLaunchOptions
        {
            AssemblyPath = assembly,
            ContentRoot = RepositoryPaths.SidecarContentRoot,
            Name = name,
            // The image's runtime knobs first (what ships), then the bench's own settings.
            Environment = ShippedRuntimeKnobs.Under(environment)
                .Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value)).ToList(),
            // The HTTP/JSON endpoint is not measured; port 0 leaves it to Kestrel, one port fewer to clash.
            ReserveHttpPort = false,
            OutputLinesKept = OutputLinesKept,
            // Starts are timed: fast polls on a channel whose reconnect back-off does not round them up.
            Probe = ServingProbe.Timing,
        };
    }
}
