namespace CacheSidecar.Hosting;

/// <summary>
/// Which tiers this deployment runs on, decided once from configuration at the composition root:
/// Redis when <c>Sidecar:Redis:Configuration</c> is set, MongoDB when
/// <c>Sidecar:Mongo:ConnectionString</c> is; otherwise the embedded default's in-process tier and
/// SQLite store (§7). Each mode is its own set of registrations; nothing downstream checks types.
/// </summary>
internal sealed record DeploymentMode(bool UsesRedis, bool UsesMongo)
{
    public static DeploymentMode From(IConfiguration configuration) => new(
        UsesRedis: !string.IsNullOrWhiteSpace(configuration["Sidecar:Redis:Configuration"]),
        UsesMongo: !string.IsNullOrWhiteSpace(configuration["Sidecar:Mongo:ConnectionString"]));
}
