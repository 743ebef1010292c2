using System.Reflection;

namespace CacheSidecar.PackageConsumer.Tests;

/// <summary>
/// Where this test run's packages and sidecar are, as the project file recorded them at build time
/// (assembly metadata), so the tests and the restore can never look at two different folders.
/// </summary>
internal static class PackageLayout
{
    /// <summary>The id of the package under test.</summary>
    public const string ClientId = "CacheSidecar.Client";

    /// <summary>The id of the package it depends on.</summary>
    public const string ContractsId = "CacheSidecar.Contracts";

    /// <summary>The repository root (the clone the packages were built from).</summary>
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    /// <summary>The folder `dotnet pack src/ClientSdk` writes to, this project's package source.</summary>
    public static string Feed { get; } = Metadata("PackageFeed");

    /// <summary>This project's own packages folder (RestorePackagesPath), not ~/.nuget/packages.</summary>
    public static string RestoredPackages { get; } = Metadata("RestorePackagesPath");

    /// <summary>The version src/ packs and this project restores.</summary>
    public static string Version { get; } = Metadata("PackageVersion");

    /// <summary>The sidecar build (src/Sidecar's CacheSidecar.dll) of the same configuration.</summary>
    public static string SidecarAssembly { get; } = Metadata("SidecarAssembly");

    /// <summary>A package file in the feed, e.g. <c>CacheSidecar.Client.0.1.0.nupkg</c>.</summary>
    public static string InFeed(string id, string extension = "nupkg") =>
        Path.Combine(Feed, $"{id}.{Version}.{extension}");

    /// <summary>The folder NuGet extracted a package into, in this project's packages folder.</summary>
    public static string Restored(string id) =>
        Path.Combine(RestoredPackages, id.ToLowerInvariant(), Version.ToLowerInvariant());

    private static string Metadata(string key) =>
        typeof(PackageLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Assembly metadata '{key}' is missing: see PackageConsumer.Tests.csproj.");
}
