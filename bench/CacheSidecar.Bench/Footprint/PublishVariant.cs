namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// One way of publishing src/Sidecar: the <c>dotnet publish</c> arguments after the project path.
/// Every variant is built into its own temporary directory (sources read from the repository,
/// obj/bin/publish output outside it), so variants never share intermediate files.
/// </summary>
/// <param name="Key">Short name, also the temporary directory's name.</param>
/// <param name="Arguments">What follows <c>dotnet publish src/Sidecar/Sidecar.csproj</c>.</param>
/// <param name="IsBaseline">
/// The shipped build (the Dockerfile's arguments, warnings still errors). A baseline that does not build
/// fails the command: every runtime-knob lever runs on it.
/// </param>
internal sealed record PublishVariant(string Key, IReadOnlyList<string> Arguments, bool IsBaseline = false)
{
    /// <summary>The Dockerfile's publish, verbatim apart from <c>--no-restore</c> and <c>-o</c>.</summary>
    private static readonly string[] DockerfileArguments =
        ["-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:UseAppHost=false", "-p:PublishReadyToRun=true"];

    /// <summary>
    /// Added to every variant but the baseline: the repository builds with warnings as errors, which
    /// would stop a trimmed or AOT publish at its first trim warning; the warnings are what we want to count.
    /// </summary>
    private const string WarningsNotErrors = "-p:TreatWarningsAsErrors=false";

    public static PublishVariant Baseline { get; } = new("baseline", DockerfileArguments, IsBaseline: true);

    /// <summary>The baseline without ReadyToRun: plain IL, everything JIT-compiled at run time.</summary>
    public static PublishVariant NoReadyToRun { get; } = new("nor2r",
        ["-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:UseAppHost=false", "-p:PublishReadyToRun=false", WarningsNotErrors]);

    /// <summary>
    /// Self-contained ReadyToRun, nothing else: the reference the composite and trimmed rows differ from
    /// by one step (a self-contained app cannot use UseAppHost=false: it starts through its apphost).
    /// </summary>
    public static PublishVariant SelfContained { get; } = new("selfcontained",
        ["-c", "Release", "-r", "linux-x64", "--self-contained", "true", "-p:PublishReadyToRun=true", WarningsNotErrors]);

    /// <summary>One composite ReadyToRun image of the app and the framework; composite needs the framework in the app, hence self-contained.</summary>
    public static PublishVariant Composite { get; } = new("composite",
        ["-c", "Release", "-r", "linux-x64", "--self-contained", "true", "-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true", WarningsNotErrors]);

    /// <summary>
    /// Trimmed, and still ReadyToRun like the baseline: trimming rewrites the framework assemblies and
    /// drops their precompiled code, so without ReadyToRun this row would measure the JIT, not the trimming.
    /// </summary>
    public static PublishVariant Trimmed { get; } = new("trim",
        ["-c", "Release", "-r", "linux-x64", "--self-contained", "true", "-p:PublishReadyToRun=true", "-p:PublishTrimmed=true", WarningsNotErrors]);

    /// <summary>
    /// Trimmed with the reflection-based configuration binder: trimming switches the configuration
    /// binding source generator on, and that generator does not set <c>init</c>-only properties
    /// (dotnet/runtime#107856), which the sidecar's NamespaceOptions record uses.
    /// </summary>
    public static PublishVariant TrimmedReflectionBinder { get; } = new("trim-reflection",
        [.. Trimmed.Arguments, "-p:EnableConfigurationBindingGenerator=false"]);

    /// <summary>Native AOT: one native executable, no JIT; needs clang and zlib1g-dev on the build machine.</summary>
    public static PublishVariant NativeAot { get; } = new("aot",
        ["-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", WarningsNotErrors]);

    /// <summary>
    /// Native AOT of the AOT-core build (<c>-p:CacheSidecarAotCore=true</c>): the sidecar without the
    /// dependencies Native AOT cannot run (docs/decisions/0020-footprint-levers.md).
    /// </summary>
    public static PublishVariant NativeAotCore { get; } = new("aot-core",
        [.. NativeAot.Arguments, "-p:CacheSidecarAotCore=true"]);

    /// <summary>
    /// Trimmed (as <see cref="Trimmed"/>) with the AOT-core switch: the MongoDB assemblies kept whole, no
    /// JSON transcoding. Shows which of the trimmed row's failures the switch removes without AOT.
    /// </summary>
    public static PublishVariant TrimmedCore { get; } = new("trim-core",
        [.. Trimmed.Arguments, "-p:CacheSidecarAotCore=true"]);

    /// <summary>Native AOT with the reflection-based configuration binder (see <see cref="TrimmedReflectionBinder"/>).</summary>
    public static PublishVariant NativeAotReflectionBinder { get; } = new("aot-reflection",
        [.. NativeAot.Arguments, "-p:EnableConfigurationBindingGenerator=false"]);

    /// <summary>The arguments as a reader would type them after the project path.</summary>
    public string CommandLine => string.Join(' ', Arguments);
}
