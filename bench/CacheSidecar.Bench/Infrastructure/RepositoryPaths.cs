using System.Reflection;

namespace CacheSidecar.Bench.Infrastructure;

/// <summary>
/// Where the repository and the sidecar build are. The bench is built with the sidecar in the same
/// configuration (ProjectReference without output assembly), so it runs exactly that build.
/// </summary>
internal static class RepositoryPaths
{
    private const string SolutionFile = "CacheSidecar.sln";

    /// <summary>The configuration this bench (and therefore the sidecar next to it) was built in.</summary>
    public static string BuildConfiguration { get; } = Metadata("BuildConfiguration") ?? "Release";

    /// <summary>The repository root: baked in at build time, else found by walking up from the working directory.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>src/Sidecar: the sidecar's content root, so it reads its own appsettings.json.</summary>
    public static string SidecarContentRoot => Path.Combine(Root, "src", "Sidecar");

    /// <summary>
    /// src/Sidecar/bin/&lt;Configuration&gt;/net10.0/CacheSidecar.dll, or the assembly named by
    /// <c>CACHESIDECAR_BENCH_SIDECAR</c>: e.g. a ReadyToRun publish, the build the Dockerfile ships.
    /// </summary>
    public static string SidecarAssembly =>
        Environment.GetEnvironmentVariable("CACHESIDECAR_BENCH_SIDECAR") is { Length: > 0 } published
            ? Path.GetFullPath(published)
            : Path.Combine(SidecarContentRoot, "bin", BuildConfiguration, "net10.0", "CacheSidecar.dll");

    public static string BenchmarksDocument => Path.Combine(Root, "docs", "benchmarks.md");

    /// <summary>The fastpath latency-vs-offered-load plot, linked from docs/benchmarks.md.</summary>
    public static string LatencyPlot => Path.Combine(Root, "docs", "benchmarks-latency.png");

    /// <summary>The fanout plot (delay and delivered messages against instances), linked from docs/benchmarks.md.</summary>
    public static string FanoutPlot => Path.Combine(Root, "docs", "benchmarks-fanout.png");

    private static string FindRoot()
    {
        var baked = Metadata("RepositoryRoot");
        if (baked is not null && File.Exists(Path.Combine(baked, SolutionFile)))
        {
            return baked;
        }

        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new BenchFailedException($"Cannot find the repository ({SolutionFile}); run the bench from inside it.");
    }

    private static string? Metadata(string key) =>
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value;
}
