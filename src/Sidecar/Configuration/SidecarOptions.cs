namespace CacheSidecar.Configuration;

/// <summary>
/// Root of the sidecar's configuration, bound from the <c>Sidecar</c> section
/// (appsettings, environment variables such as <c>Sidecar__Redis__Configuration</c>,
/// or a mounted ConfigMap file).
/// </summary>
public sealed class SidecarOptions
{
    public const string SectionName = "Sidecar";

    /// <summary>The cache tier. Empty <see cref="RedisOptions.Configuration"/> selects the embedded in-process tier.</summary>
    public RedisOptions Redis { get; set; } = new();

    /// <summary>The system of record. Empty <see cref="MongoOptions.ConnectionString"/> selects the embedded SQLite store.</summary>
    public MongoOptions Mongo { get; set; } = new();

    /// <summary>Settings for the embedded default (no Redis, no MongoDB configured).</summary>
    public EmbeddedOptions Embedded { get; set; } = new();

    /// <summary>Bearer-token authentication of callers.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Where the sidecar may listen.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Settings of this instance's write-behind flushers (per-namespace tuning lives in each namespace).</summary>
    public WriteBehindInstanceOptions WriteBehind { get; set; } = new();

    /// <summary>Per-namespace policies, keyed by namespace name.</summary>
    public Dictionary<string, NamespaceOptions> Namespaces { get; set; } = new(StringComparer.Ordinal);
}

public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or a list of cluster nodes.</summary>
    public string? Configuration { get; set; }

    /// <summary>First part of every Redis key the sidecar writes (<c>&lt;prefix&gt;:{ns:p}:…</c>): lets
    /// several deployments (or test runs) share one Redis without seeing each other's keys.</summary>
    public string KeyPrefix { get; set; } = "cs";

    /// <summary>How long the circuit stays open after Redis failures before one call probes it again.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <b>Breaks cache-aside on purpose; never set it in a deployment.</b> Fills ignore their lease,
    /// so a loader that read the store before a concurrent write can cache the older value. It
    /// exists so the consistency checker can prove it detects exactly that bug.
    /// </summary>
    public bool UnsafeDisableFillLeaseCheckForTesting { get; set; }
}

public sealed class MongoOptions
{
    /// <summary>A MongoDB connection string. Never logged.</summary>
    public string? ConnectionString { get; set; }

    public string Database { get; set; } = "app";

    /// <summary>Write concern: <c>majority</c>, <c>1</c>, <c>2</c>, … (default: <c>majority</c>).</summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>Read preference: <c>Primary</c>, <c>PrimaryPreferred</c>, <c>Secondary</c>, <c>SecondaryPreferred</c>, <c>Nearest</c>.</summary>
    public string ReadPreference { get; set; } = "Primary";

    /// <summary>How long an operation waits for a reachable server before failing <c>UNAVAILABLE</c>.</summary>
    public TimeSpan ServerSelectionTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class EmbeddedOptions
{
    /// <summary>The SQLite file used as the store when no MongoDB is configured.</summary>
    public string SqlitePath { get; set; } = "cachesidecar.db";
}

public sealed class AuthOptions
{
    /// <summary>The bearer token callers must send. Prefer <see cref="TokenFile"/> (a mounted Secret).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the bearer token (trailing whitespace ignored).</summary>
    public string? TokenFile { get; set; }
}

public sealed class SecurityOptions
{
    /// <summary>Allows Kestrel endpoints other than loopback (0.0.0.0, a pod IP, a host name). Off by
    /// default: the sidecar then refuses to start on such an endpoint. When on, it starts with a
    /// warning naming each such endpoint.</summary>
    public bool AllowNonLoopbackBinding { get; set; }
}

public sealed class WriteBehindInstanceOptions
{
    /// <summary>Whether this instance flushes write-behind backlogs to the store. An instance with
    /// false still accepts write-behind Puts; other instances flush them.</summary>
    public bool RunFlushers { get; set; } = true;

    /// <summary>This instance's consumer name in the flushers' consumer group. Default
    /// <c>&lt;host name&gt;-&lt;process id&gt;</c>; set it to the pod name so a restarted container
    /// resumes its own unfinished entries at once instead of after <c>ReclaimAfter</c>.</summary>
    public string? ConsumerName { get; set; }
}
