namespace CacheSidecar.Testing.Redis;

/// <summary>Where a <see cref="RedisTestTarget"/> came from.</summary>
public enum RedisTargetKind
{
    /// <summary>A server named by REDIS_URL / REDIS_CLUSTER_URL; not started, controlled or stopped by us.</summary>
    External,

    /// <summary>A Testcontainers <c>redis:7.0</c> container (Docker was available).</summary>
    Testcontainers,

    /// <summary>A local <see cref="RedisServerProcess"/>; <see cref="RedisTestTarget.Server"/> allows kill/restart.</summary>
    RedisServer,

    /// <summary>A local <see cref="RedisClusterProcess"/>; <see cref="RedisTestTarget.Cluster"/> allows node kill/restart.</summary>
    RedisCluster,
}

/// <summary>
/// A Redis to test against, as chosen by <see cref="RedisTestEndpoint"/>. Dispose it to stop whatever was
/// started for it (nothing, for an external server).
/// </summary>
public sealed class RedisTestTarget : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owned;

    internal RedisTestTarget(
        RedisTargetKind kind,
        string configuration,
        RedisServerProcess? server = null,
        RedisClusterProcess? cluster = null,
        IAsyncDisposable? owned = null)
    {
        Kind = kind;
        Configuration = configuration;
        Server = server;
        Cluster = cluster;
        _owned = owned ?? (IAsyncDisposable?)server ?? cluster;
    }

    /// <summary>StackExchange.Redis configuration string, e.g. "127.0.0.1:6379" or "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3".</summary>
    public string Configuration { get; }

    /// <summary>How the server was provided.</summary>
    public RedisTargetKind Kind { get; }

    /// <summary>The local process for <see cref="RedisTargetKind.RedisServer"/>; null otherwise (no process control).</summary>
    public RedisServerProcess? Server { get; }

    /// <summary>The local cluster for <see cref="RedisTargetKind.RedisCluster"/>; null otherwise.</summary>
    public RedisClusterProcess? Cluster { get; }

    /// <summary>True for targets acquired with <see cref="RedisTestEndpoint.AcquireClusterAsync"/>.</summary>
    public bool IsCluster { get; internal init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Configuration}";

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
