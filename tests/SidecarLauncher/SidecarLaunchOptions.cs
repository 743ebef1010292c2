namespace CacheSidecar.Testing;

/// <summary>
/// What to start and how. The caller says where the sidecar build is (<see cref="AssemblyPath"/>,
/// <see cref="ContentRoot"/>) because the tests and the bench find it differently, and this library
/// must not reference src/Sidecar: the bench may measure another build than the one it was built with.
/// </summary>
public sealed record SidecarLaunchOptions
{
    /// <summary>The sidecar's <c>CacheSidecar.dll</c>, run as <c>dotnet CacheSidecar.dll</c>.</summary>
    public required string AssemblyPath { get; init; }

    /// <summary>
    /// Passed as <c>--contentRoot</c>: src/Sidecar, so the sidecar reads its own appsettings.json (the
    /// default namespaces) whichever build directory it runs from.
    /// </summary>
    public required string ContentRoot { get; init; }

    /// <summary>
    /// A label for messages (e.g. "flush-A(500)"), so a failure says which of several sidecars it was.
    /// </summary>
    public string Name { get; init; } = "sidecar";

    /// <summary>
    /// Environment variables, applied in order after the launcher's own (endpoint URLs, Production
    /// environment), so a caller can override any of them. A null value removes the variable.
    /// Environment variables are the sidecar's only configuration input here: no file is written per run.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> Environment { get; init; } = [];

    /// <summary>
    /// The gRPC endpoint's scheme: <c>http</c> (h2c), or <c>https</c> for a TLS test, whose certificate
    /// comes in <see cref="Environment"/>.
    /// </summary>
    public string Scheme { get; init; } = "http";

    /// <summary>
    /// The host in the gRPC endpoint URL the sidecar is told to listen on. Tests of the non-loopback
    /// guard pass <c>0.0.0.0</c>; clients always dial 127.0.0.1 (<see cref="SidecarProcess.Address"/>).
    /// </summary>
    public string ListenHost { get; init; } = "127.0.0.1";

    /// <summary>
    /// True: the HTTP/JSON endpoint gets a port picked here and <see cref="SidecarProcess.HttpAddress"/>
    /// names it (tests call it). False: port 0, Kestrel picks one and nobody knows it; for callers that
    /// never use that endpoint (the bench), one port fewer that could be taken.
    /// </summary>
    public bool ReserveHttpPort { get; init; } = true;

    /// <summary>
    /// The most output lines (stdout and stderr) kept, oldest dropped first, so a chatty sidecar that
    /// runs for minutes cannot grow the caller's memory without bound.
    /// </summary>
    public int OutputLinesKept { get; init; } = 200;

    /// <summary>How <see cref="SidecarProcess.WaitUntilServingAsync"/> polls.</summary>
    public ServingProbe Probe { get; init; } = ServingProbe.Default;
}

/// <summary>
/// How the readiness wait polls gRPC health. Two callers, two needs: tests only need a bounded wait and
/// should not add load while dozens of sidecars start on two cores; the bench times starts, so it polls
/// faster and must not let the client's reconnect back-off round a start up to the next retry.
/// </summary>
/// <param name="CallDeadline">The deadline of one health call; a dependency that hangs must not stall the wait.</param>
/// <param name="Interval">The pause between two health calls.</param>
/// <param name="FastReconnect">
/// Poll through <see cref="SidecarProcess.CreateStartupChannel"/> (5 ms reconnect back-off) instead of a
/// channel with the client's default back-off (1 s after the first refused connection, growing).
/// </param>
public sealed record ServingProbe(TimeSpan CallDeadline, TimeSpan Interval, bool FastReconnect)
{
    /// <summary>1 s calls every 50 ms on a default channel: what the process-level tests use.</summary>
    public static ServingProbe Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50), false);

    /// <summary>2 s calls every 25 ms on a fast-reconnect channel: what the bench uses to time starts.</summary>
    public static ServingProbe Timing { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(25), true);
}
