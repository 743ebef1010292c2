namespace CacheSidecar.Configuration;

/// <summary>
/// Root of the sidecar's configuration, bound from the <c>Sidecar</c> section
/// (appsettings, environment variables such as <c>Sidecar__Redis__Configuration</c>,
/// or a mounted ConfigMap file).
/// </summary>
public sealed class SidecarOptions
{
    public const string SectionName = "Sidecar";

    /// <summary>
    /// The cache tier. Empty <see cref="RedisOptions.Configuration"/> selects the embedded in-process tier.
    /// </summary>
    public RedisOptions Redis { get; set; } = new();

    /// <summary>
    /// The system of record. Empty <see cref="MongoOptions.ConnectionString"/> selects the embedded SQLite store.
    /// </summary>
    public MongoOptions Mongo { get; set; } = new();

    /// <summary>Settings for the embedded default (no Redis, no MongoDB configured).</summary>
    public EmbeddedOptions Embedded { get; set; } = new();

    /// <summary>Bearer-token authentication of callers.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Where the sidecar may listen.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>
    /// Settings of this instance's write-behind flushers (per-namespace tuning lives in each namespace).
    /// </summary>
    public WriteBehindInstanceOptions WriteBehind { get; set; } = new();

    /// <summary>Per-namespace policies, keyed by namespace name.</summary>
    public Dictionary<string, NamespaceOptions> Namespaces { get; set; } = new(StringComparer.Ordinal);
}
