namespace CacheSidecar.Testing.Redis;

/// <summary>How a <see cref="RedisServerProcess"/> persists data across a restart.</summary>
public enum RedisPersistence
{
    /// <summary>No RDB snapshots and no AOF: a restart starts empty.</summary>
    None,

    /// <summary>AOF with <c>appendfsync always</c>: every acknowledged write survives SIGKILL.</summary>
    AofAlways,

    /// <summary>AOF with <c>appendfsync everysec</c>: up to about a second of writes can be lost on SIGKILL.</summary>
    AofEverySec,
}

/// <summary>Settings for one <see cref="RedisServerProcess"/>. Defaults give a throwaway, non-persistent server.</summary>
public sealed class RedisServerOptions
{
    /// <summary>Loopback port to listen on; 0 (the default) picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Persistence mode; defaults to <see cref="RedisPersistence.None"/>.</summary>
    public RedisPersistence Persistence { get; init; } = RedisPersistence.None;

    /// <summary>Start the server with <c>cluster-enabled yes</c> (used by <see cref="RedisClusterProcess"/>).</summary>
    public bool ClusterEnabled { get; init; }

    /// <summary>
    /// <c>cluster-node-timeout</c> for clustered servers. Short by default so a killed node is
    /// noticed, and forgiven after a restart, within seconds rather than the stock 15 s.
    /// </summary>
    public TimeSpan ClusterNodeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Redis <c>dir</c> (AOF, nodes.conf). Null (the default) means a fresh directory inside the
    /// instance's temp dir, deleted on dispose; a directory given here is created if missing and never deleted.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Extra <c>redis.conf</c> lines, appended last so they override the generated ones.</summary>
    public IReadOnlyList<string> ExtraConfigLines { get; init; } = [];

    /// <summary>How long to wait for PONG after launching (also per restart). Defaults to 10 s.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The server binary, looked up on PATH unless a path is given.</summary>
    public string ServerExecutable { get; init; } = "redis-server";

    /// <summary>
    /// Ask <see cref="RedisTestEndpoint"/> for a local redis-server even when <c>REDIS_URL</c> or Docker is
    /// available, because the test kills or restarts the server. Ignored by <see cref="RedisServerProcess"/> itself.
    /// </summary>
    public bool RequireProcessControl { get; init; }

    /// <summary>
    /// True when an external server or a container could not honour these options, so
    /// <see cref="RedisTestEndpoint"/> must start a <see cref="RedisServerProcess"/>.
    /// </summary>
    internal bool NeedsOwnProcess =>
        RequireProcessControl
        || Persistence != RedisPersistence.None
        || ClusterEnabled
        || Port != 0
        || DataDirectory is not null
        || ExtraConfigLines.Count > 0;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StartupTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClusterNodeTimeout, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrWhiteSpace(ServerExecutable);
        ArgumentNullException.ThrowIfNull(ExtraConfigLines);
        if (!Enum.IsDefined(Persistence))
        {
            throw new ArgumentOutOfRangeException(nameof(Persistence), Persistence, "Unknown persistence mode.");
        }

        foreach (var line in ExtraConfigLines)
        {
            // A newline would smuggle a second directive past the caller's intent.
            if (line is null || line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal))
            {
                throw new ArgumentException("Each extra config line must be a single non-null line.", nameof(ExtraConfigLines));
            }
        }
    }
}
