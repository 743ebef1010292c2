namespace CacheSidecar.Configuration;

public sealed class EmbeddedOptions
{
    /// <summary>The SQLite file used as the store when no MongoDB is configured.</summary>
    public string SqlitePath { get; set; } = "cachesidecar.db";
}
