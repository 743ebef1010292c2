using System.ComponentModel;
using System.Diagnostics;
using Testcontainers.MongoDb;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Picks the MongoDB that tests use, best first:
/// <list type="number">
/// <item><c>MONGODB_URI</c> is set → that server (<see cref="MongoTestTarget.ExternalKind"/>);</item>
/// <item>Docker answers <c>docker info</c> within 5 s → a <c>mongo:7.0</c> container via
/// Testcontainers (<see cref="MongoTestTarget.TestcontainersKind"/>);</item>
/// <item>otherwise → an in-process <see cref="MongoWireServer"/> (<see cref="MongoTestTarget.WireTestServerKind"/>).</item>
/// </list>
/// Any failure on the Docker path falls through to the wire test server rather than failing the run.
/// </summary>
public static class MongoTestEndpoint
{
    /// <summary>The variable that points tests at an existing MongoDB.</summary>
    public const string UriVariable = "MONGODB_URI";

    /// <summary>The image started when Docker is available.</summary>
    public const string ContainerImage = "mongo:7.0";

    private static readonly TimeSpan DockerProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Acquires the best available MongoDB; dispose the result when done.</summary>
    public static Task<MongoTestTarget> AcquireAsync() =>
        AcquireAsync(Environment.GetEnvironmentVariable, IsDockerAvailableAsync, StartContainerAsync);

    /// <summary>
    /// Always the in-process wire test server: for tests that must stop, restart or slow down
    /// the store, which only <see cref="MongoWireServer"/> can do.
    /// </summary>
    public static async Task<MongoTestTarget> AcquireWireServerAsync()
    {
        var server = new MongoWireServer();
        await server.StartAsync();
        return MongoTestTarget.FromWireServer(server);
    }

    /// <summary>The chain itself, with its environment passed in so tests can drive each branch.</summary>
    internal static async Task<MongoTestTarget> AcquireAsync(
        Func<string, string?> environment,
        Func<Task<bool>> dockerAvailable,
        Func<Task<MongoTestTarget>> startContainer)
    {
        string? uri = environment(UriVariable);
        if (!string.IsNullOrWhiteSpace(uri))
        {
            return MongoTestTarget.External(uri);
        }

        if (await dockerAvailable())
        {
            try
            {
                return await startContainer();
            }
            catch (Exception e)
            {
                // Docker said it was there but could not give us a container (image pull
                // refused, no network, ...). The wire test server still lets the tests run.
                Trace.TraceWarning($"Testcontainers MongoDB failed, using the wire test server: {e.Message}");
            }
        }

        return await AcquireWireServerAsync();
    }

    private static async Task<MongoTestTarget> StartContainerAsync()
    {
        MongoDbContainer container = new MongoDbBuilder(ContainerImage).Build();
        try
        {
            await container.StartAsync();
            return MongoTestTarget.FromContainer(container);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary>True when <c>docker info</c> exits 0 within 5 s; false on a missing CLI, an error or a hang.</summary>
    internal static async Task<bool> IsDockerAvailableAsync()
    {
        var startInfo = new ProcessStartInfo("docker", "info")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using Process process = Process.Start(startInfo) ?? throw new Win32Exception("docker did not start");
            using var timeout = new CancellationTokenSource(DockerProbeTimeout);

            // Drain the pipes so a chatty `docker info` cannot block on a full buffer.
            Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> errors = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(output, errors);
                return process.ExitCode == 0;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            return false; // no docker CLI on PATH, or it could not run.
        }
    }
}
