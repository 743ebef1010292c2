using System.Globalization;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.WriteBehind;

/// <summary>
/// The sidecar configuration of each bench run, as the environment variables an operator would set
/// (<c>Sidecar__…</c>). The sidecar's own appsettings.json namespaces stay configured as well.
/// </summary>
internal static class BenchNamespaces
{
    /// <summary>CacheAside namespace for the Get-hit scenario.</summary>
    public const string GetHit = "getbench";

    /// <summary>WriteBehind namespace for the Put scenario.</summary>
    public const string WriteBehindPut = "wbbench";

    /// <summary>WriteBehind namespace for the Put scenario on an instance without flushers.</summary>
    public const string WriteBehindPutAckOnly = "wbackbench";

    /// <summary>The fresh namespace (and collection) of one flusher batch size, e.g. "wbflush500".</summary>
    public static string Flush(int batchSize) => string.Create(CultureInfo.InvariantCulture, $"wbflush{batchSize}");

    /// <summary>Redis and MongoDB of the bench; nothing else.</summary>
    public static Dictionary<string, string> Backends(BackingServers servers) => new(StringComparer.Ordinal)
    {
        ["Sidecar__Redis__Configuration"] = servers.RedisEndPoint,
        ["Sidecar__Mongo__ConnectionString"] = servers.MongoConnectionString,
        ["Sidecar__Mongo__Database"] = BackingServers.MongoDatabase,
    };

    public static Dictionary<string, string> WithCacheAside(this Dictionary<string, string> environment, string ns)
    {
        environment[$"Sidecar__Namespaces__{ns}__Strategy"] = "CacheAside";
        environment[$"Sidecar__Namespaces__{ns}__Collection"] = ns;
        environment[$"Sidecar__Namespaces__{ns}__Ttl"] = "00:10:00";
        return environment;
    }

    /// <summary>
    /// A write-behind namespace as specified for the bench: 10 min TTL, 50 ms flush interval and a
    /// backlog bound far above anything the bench queues, so RESOURCE_EXHAUSTED never shapes a number.
    /// </summary>
    public static Dictionary<string, string> WithWriteBehind(this Dictionary<string, string> environment, string ns, int batchSize)
    {
        environment[$"Sidecar__Namespaces__{ns}__Strategy"] = "WriteBehind";
        environment[$"Sidecar__Namespaces__{ns}__Collection"] = ns;
        environment[$"Sidecar__Namespaces__{ns}__Ttl"] = "00:10:00";
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__FlushInterval"] = "00:00:00.050";
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__MaxBacklog"] = "10000000";
        return environment;
    }

    /// <summary>false: the sidecar accepts write-behind Puts but never flushes them (a backlog to drain later).</summary>
    public static Dictionary<string, string> WithFlushers(this Dictionary<string, string> environment, bool run)
    {
        environment["Sidecar__WriteBehind__RunFlushers"] = run ? "true" : "false";
        return environment;
    }

    /// <summary>The start-up refusal of a build without write-behind (docs/decisions/0004).</summary>
    public static bool IsWriteBehindUnavailable(SidecarExitedException ex) =>
        ex.Output.Contains("WriteBehind is not available in this build", StringComparison.Ordinal);
}
