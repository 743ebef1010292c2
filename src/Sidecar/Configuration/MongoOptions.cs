namespace CacheSidecar.Configuration;

/// <summary>The MongoDB store (<c>Sidecar:Mongo</c>).</summary>
public sealed class MongoOptions
{
    /// <summary>A MongoDB connection string. Never logged.</summary>
    public string? ConnectionString { get; set; }

    public string Database { get; set; } = "app";

    /// <summary>Write concern: <c>majority</c>, <c>1</c>, <c>2</c>, … (default: <c>majority</c>).</summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>
    /// Read preference: <c>Primary</c>, <c>PrimaryPreferred</c>, <c>Secondary</c>,
    /// <c>SecondaryPreferred</c>, <c>Nearest</c>.
    /// </summary>
    public string ReadPreference { get; set; } = "Primary";

    /// <summary>How long an operation waits for a reachable server before failing <c>UNAVAILABLE</c>.</summary>
    [Positive]
    public TimeSpan ServerSelectionTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
