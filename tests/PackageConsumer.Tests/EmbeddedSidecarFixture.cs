namespace CacheSidecar.PackageConsumer.Tests;

/// <summary>
/// One sidecar process on the embedded default (no Redis, no MongoDB: the in-process tier and a SQLite file),
/// started from src/Sidecar's build the way the README runs it, for every test of the class.
/// </summary>
public sealed class EmbeddedSidecarFixture : IAsyncLifetime
{
    /// <summary>Generous: two shared cores start a process slowly; the wait ends as soon as it serves.</summary>
    private static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(90);

    private readonly string _sqlitePath =
        Path.Combine(Path.GetTempPath(), $"cachesidecar-package-{Guid.NewGuid():N}.db");
    private SidecarProcess? _sidecar;

    /// <summary>The sidecar's gRPC endpoint (h2c on loopback).</summary>
    public Uri Address => (_sidecar ?? throw new InvalidOperationException("not started")).Address;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(PackageLayout.SidecarAssembly))
        {
            throw new FileNotFoundException(
                $"No sidecar build at {PackageLayout.SidecarAssembly}: run `dotnet build src/Sidecar -c "
                + "<Configuration>` first (scripts/test.sh builds it with the solution).",
                PackageLayout.SidecarAssembly);
        }

        _sidecar = await SidecarLauncher.StartAsync(
            new SidecarLaunchOptions
            {
                AssemblyPath = PackageLayout.SidecarAssembly,
                ContentRoot = Path.Combine(PackageLayout.RepositoryRoot, "src", "Sidecar"),
                Name = "package-consumer",
                Environment =
                [
                    // The embedded default, whatever the caller's environment says; its file outside the clone.
                    new("Sidecar__Redis__Configuration", string.Empty),
                    new("Sidecar__Mongo__ConnectionString", string.Empty),
                    new("Sidecar__Embedded__SqlitePath", _sqlitePath),
                    new("DOTNET_USE_POLLING_FILE_WATCHER", "true"),
                ],
            },
            ServeTimeout);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        foreach (var file in new[] { _sqlitePath, _sqlitePath + "-wal", _sqlitePath + "-shm" })
        {
            File.Delete(file);
        }
    }
}
