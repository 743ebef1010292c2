using System.Diagnostics;
using CacheSidecar.Testing.Redis.Internal;
using Testcontainers.Redis;

namespace CacheSidecar.Testing.Redis;

/// <summary>
/// Picks the Redis a test runs against. Single server: REDIS_URL if set, else a Testcontainers container when
/// Docker works, else a local <see cref="RedisServerProcess"/>; options that need process control (persistence,
/// kill/restart, explicit port, extra config) always get a local process. Cluster: REDIS_CLUSTER_URL if set, else a
/// local <see cref="RedisClusterProcess"/>.
/// </summary>
public static class RedisTestEndpoint
{
    /// <summary>Environment variable naming an external single Redis ("host:port" or "redis://...").</summary>
    public const string RedisUrlVariable = "REDIS_URL";

    /// <summary>Environment variable naming an external Redis Cluster (comma-separated endpoints or URLs).</summary>
    public const string RedisClusterUrlVariable = "REDIS_CLUSTER_URL";

    /// <summary>Image used when Docker is available; matches the Debian redis-server 7.0 used elsewhere.</summary>
    public const string ContainerImage = "redis:7.0";

    // Bounds a container start that hangs, e.g. on an image pull without network; we then fall back.
    private static readonly TimeSpan ContainerStartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Acquires a single (non-cluster) Redis; dispose the result when done.</summary>
    public static Task<RedisTestTarget> AcquireSingleAsync(RedisServerOptions? options = null, CancellationToken cancellationToken = default) =>
        AcquireSingleAsync(options, Environment.GetEnvironmentVariable, DockerProbe.IsAvailableAsync, cancellationToken);

    /// <summary>Acquires a Redis Cluster (REDIS_CLUSTER_URL, else <paramref name="masters"/> local masters); dispose the result when done.</summary>
    public static Task<RedisTestTarget> AcquireClusterAsync(int masters = 3, CancellationToken cancellationToken = default) =>
        AcquireClusterAsync(masters, Environment.GetEnvironmentVariable, cancellationToken);

    // The environment and the Docker probe are parameters so tests can steer the choice without touching
    // process-wide environment variables (test classes run in parallel).
    internal static async Task<RedisTestTarget> AcquireSingleAsync(
        RedisServerOptions? options,
        Func<string, string?> environment,
        Func<CancellationToken, Task<bool>> dockerAvailable,
        CancellationToken cancellationToken)
    {
        var needsOwnProcess = options?.NeedsOwnProcess ?? false;
        if (!needsOwnProcess)
        {
            var url = environment(RedisUrlVariable);
            if (!string.IsNullOrWhiteSpace(url))
            {
                return new RedisTestTarget(RedisTargetKind.External, RedisUrl.ToConfiguration(url));
            }

            if (await dockerAvailable(cancellationToken))
            {
                var container = await TryStartContainerAsync(cancellationToken);
                if (container is not null)
                {
                    return container;
                }
            }
        }

        var server = await RedisServerProcess.StartAsync(options, cancellationToken);
        return new RedisTestTarget(RedisTargetKind.RedisServer, server.EndPoint, server: server);
    }

    internal static async Task<RedisTestTarget> AcquireClusterAsync(
        int masters, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var url = environment(RedisClusterUrlVariable);
        if (!string.IsNullOrWhiteSpace(url))
        {
            return new RedisTestTarget(RedisTargetKind.External, RedisUrl.ToConfiguration(url)) { IsCluster = true };
        }

        var cluster = await RedisClusterProcess.StartAsync(masters, cancellationToken);
        return new RedisTestTarget(RedisTargetKind.RedisCluster, cluster.Configuration, cluster: cluster) { IsCluster = true };
    }

    // Null when the container cannot be started (no image without network, daemon gone, ...): the caller
    // falls back to a local redis-server instead of failing the test.
    private static async Task<RedisTestTarget?> TryStartContainerAsync(CancellationToken cancellationToken)
    {
        RedisContainer? container = null;
        try
        {
            container = new RedisBuilder(ContainerImage).Build();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ContainerStartTimeout);
            await container.StartAsync(deadline.Token);
            return new RedisTestTarget(RedisTargetKind.Testcontainers, container.GetConnectionString(), owned: container);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Trace.TraceWarning($"Testcontainers Redis ({ContainerImage}) did not start, using a local redis-server: {ex.Message}");
            try
            {
                if (container is not null)
                {
                    await container.DisposeAsync();
                }
            }
            catch (Exception cleanup)
            {
                Trace.TraceWarning($"Disposing the failed Testcontainers Redis also failed: {cleanup.Message}");
            }

            return null;
        }
    }
}
