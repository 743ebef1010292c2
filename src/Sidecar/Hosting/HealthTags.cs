namespace CacheSidecar.Hosting;

/// <summary>Health-check tags.</summary>
public static class HealthTags
{
    /// <summary>Checks that decide readiness (and the overall gRPC health status).</summary>
    public const string Ready = "ready";
}
