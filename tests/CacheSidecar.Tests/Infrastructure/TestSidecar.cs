namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// Starts the sidecar build this test project references (the <c>CacheSidecar.dll</c> next to the tests)
/// as a real process, through the shared <see cref="SidecarLauncher"/>: for tests that need a real
/// process (start-up, refusal of bad configuration, signals, kill and restart).
/// </summary>
internal static class TestSidecar
{
    /// <summary>
    /// Tests assert on the whole log (a line written at start-up, no secret ever written), so the tail
    /// keeps far more lines than any test's sidecar writes: none is dropped, yet the buffer stays bounded.
    /// </summary>
    private const int OutputLinesKept = 100_000;

    /// <summary>
    /// How long a test waits for a started sidecar to serve. Generous on purpose: a shared CI machine
    /// with busy cores starts processes slowly, and the wait ends as soon as the sidecar serves.
    /// </summary>
    public static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(90);

    private static readonly string SidecarAssembly =
        Path.Combine(Path.GetDirectoryName(typeof(Program).Assembly.Location)!, "CacheSidecar.dll");

    /// <summary>Starts the sidecar with environment overrides; does not wait for readiness.</summary>
    /// <param name="environment">Configuration, as <c>Sidecar__…</c> environment variables.</param>
    /// <param name="scheme">
    /// http, or https for a TLS endpoint (its certificate comes in <paramref name="environment"/>).
    /// </param>
    /// <param name="listenHost">
    /// The host of the Kestrel endpoint URL; <see cref="SidecarProcess.Address"/> always dials 127.0.0.1.
    /// </param>
    public static SidecarProcess Start(
        IDictionary<string, string?> environment, string scheme = "http", string listenHost = "127.0.0.1") =>
        SidecarLauncher.Launch(new SidecarLaunchOptions
        {
            AssemblyPath = SidecarAssembly,
            ContentRoot = SidecarContentRoot(),
            Environment =
            [
                // Poll watched config files instead of holding inotify instances (128 per user), which
                // dozens of parallel sidecars would exhaust.
                new("DOTNET_USE_POLLING_FILE_WATCHER", "true"),
                .. environment,
            ],
            Scheme = scheme,
            ListenHost = listenHost,
            OutputLinesKept = OutputLinesKept,
        });

    /// <summary>src/Sidecar, where appsettings.json (the embedded default's namespaces) lives.</summary>
    private static string SidecarContentRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CacheSidecar.sln")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? throw new InvalidOperationException("repository root not found");
        return Path.Combine(root, "src", "Sidecar");
    }
}
