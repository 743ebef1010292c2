using System.Globalization;

namespace CacheSidecar.Bench.Infrastructure;

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

    /// <summary>fastpath: CacheAside namespace with the L1 near-cache on, for the hot-key Get.</summary>
    public const string NearCacheGet = "l1bench";

    /// <summary>fastpath: one namespace (and collection, except the pure cache) per Put strategy.</summary>
    public const string PutCacheAside = "putca";
    public const string PutWriteThrough = "putwt";
    public const string PutTtl = "putttl";
    public const string PutPureCache = "putcache";
    public const string PutWriteBehind = "putwb";

    /// <summary>changestream: CacheAside namespace (and collection) invalidated by its change stream.</summary>
    public const string ChangeStreamLag = "csbench";

    /// <summary>changestream: CacheAside namespace (and collection) without a watcher, for the baselines.</summary>
    public const string ChangeStreamBaseline = "csbaseline";

    /// <summary>api: CacheAside namespace whose entries are all written with tags (the tagged Get hit).</summary>
    public const string TaggedGetHit = "taggetbench";

    /// <summary>api: WriteThrough namespace of the single Put the BatchPut rows are compared with.</summary>
    public const string ApiPutWriteThrough = "apiputwt";

    /// <summary>api: one namespace per Increment strategy (the pure cache has no collection).</summary>
    public const string IncrementPureCache = "incache";
    public const string IncrementWriteBehind = "incwb";
    public const string IncrementWriteThrough = "incwt";

    /// <summary>api: WriteBehind namespace of the BatchPut rows.</summary>
    public const string BatchPutWriteBehind = "batchwb";

    /// <summary>The fresh namespace (and collection) of one flusher batch size, e.g. "wbflush500".</summary>
    public static string Flush(int batchSize) => string.Create(CultureInfo.InvariantCulture, $"wbflush{batchSize}");

    /// <summary>Redis and MongoDB of the bench; nothing else.</summary>
    public static Dictionary<string, string> Backends(BackingServers servers) => new(StringComparer.Ordinal)
    {
        ["Sidecar__Redis__Configuration"] = servers.RedisEndPoint,
        ["Sidecar__Mongo__ConnectionString"] = servers.MongoConnectionString,
        ["Sidecar__Mongo__Database"] = BackingServers.MongoDatabase,
    };

    public static Dictionary<string, string> WithCacheAside(this Dictionary<string, string> environment, string ns) =>
        environment.WithStrategy(ns, "CacheAside", collection: true);

    public static Dictionary<string, string> WithWriteThrough(this Dictionary<string, string> environment, string ns) =>
        environment.WithStrategy(ns, "WriteThrough", collection: true);

    /// <summary>A Ttl namespace: with a collection, Put writes the store only; without one it is a pure cache (Put writes Redis only).</summary>
    public static Dictionary<string, string> WithTtl(this Dictionary<string, string> environment, string ns, bool collection) =>
        environment.WithStrategy(ns, "Ttl", collection);

    /// <summary>A pure cache: Ttl without a collection, so every write and Increment touches Redis only.</summary>
    public static Dictionary<string, string> WithPureCache(this Dictionary<string, string> environment, string ns) =>
        environment.WithTtl(ns, collection: false);

    /// <summary>
    /// Turns the L1 near-cache on for <paramref name="ns"/>. A build without the near-cache refuses
    /// these keys at start-up (strict configuration binding): see <see cref="IsNearCacheUnavailable"/>.
    /// </summary>
    public static Dictionary<string, string> WithNearCache(this Dictionary<string, string> environment, string ns)
    {
        environment[$"Sidecar__Namespaces__{ns}__NearCache__Enabled"] = "true";
        environment[$"Sidecar__Namespaces__{ns}__NearCache__MaxEntries"] = "10000";
        environment[$"Sidecar__Namespaces__{ns}__NearCache__MaxBytes"] = (32L * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        environment[$"Sidecar__Namespaces__{ns}__NearCache__Ttl"] = "00:00:05";
        return environment;
    }

    /// <summary>The near-cache settings <see cref="WithNearCache"/> sets, for the report.</summary>
    public const string NearCacheSettings = "Enabled=true, MaxEntries=10000, MaxBytes=32 MiB, Ttl=00:00:05 (ResyncInterval: the build's default)";

    /// <summary>
    /// A write-behind namespace as specified for the bench: 1 h TTL, 50 ms flush interval and a
    /// backlog bound far above anything the bench queues, so RESOURCE_EXHAUSTED never shapes a number.
    /// </summary>
    public static Dictionary<string, string> WithWriteBehind(this Dictionary<string, string> environment, string ns, int batchSize)
    {
        environment[$"Sidecar__Namespaces__{ns}__Strategy"] = "WriteBehind";
        environment[$"Sidecar__Namespaces__{ns}__Collection"] = ns;
        environment[$"Sidecar__Namespaces__{ns}__Ttl"] = "01:00:00";
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__FlushInterval"] = "00:00:00.050";
        environment[$"Sidecar__Namespaces__{ns}__WriteBehind__MaxBacklog"] = "10000000";
        return environment;
    }

    /// <summary>
    /// Invalidation by the collection's change stream, the watcher's settings left at the build's
    /// defaults (LeasePeriod 10 s, MaxAwaitTime 500 ms, BatchSize 500): the numbers are the default's.
    /// </summary>
    public static Dictionary<string, string> WithChangeStream(this Dictionary<string, string> environment, string ns)
    {
        environment[$"Sidecar__Namespaces__{ns}__Invalidation"] = "ChangeStream";
        return environment;
    }

    /// <summary>false: the sidecar accepts write-behind Puts but never flushes them (a backlog to drain later).</summary>
    public static Dictionary<string, string> WithFlushers(this Dictionary<string, string> environment, bool run)
    {
        environment["Sidecar__WriteBehind__RunFlushers"] = run ? "true" : "false";
        return environment;
    }

    /// <summary>
    /// uds: a second gRPC endpoint on a Unix domain socket, beside the launcher's TCP one (which health
    /// probes and the TCP rows keep using), configured as an operator would: a named Kestrel endpoint.
    /// </summary>
    public static Dictionary<string, string> WithGrpcUnixSocket(this Dictionary<string, string> environment, string socketPath)
    {
        environment["Kestrel__Endpoints__GrpcUnix__Url"] = $"http://unix:{socketPath}";
        environment["Kestrel__Endpoints__GrpcUnix__Protocols"] = "Http2";
        return environment;
    }

    /// <summary>The start-up refusal of a build whose configuration has no <c>NearCache</c> section (strict binding).</summary>
    public static bool IsNearCacheUnavailable(SidecarExitedException ex) =>
        ex.Output.Contains("refused to start", StringComparison.Ordinal) && ex.Output.Contains("NearCache", StringComparison.Ordinal);

    private static Dictionary<string, string> WithStrategy(this Dictionary<string, string> environment, string ns, string strategy, bool collection)
    {
        environment[$"Sidecar__Namespaces__{ns}__Strategy"] = strategy;
        if (collection)
        {
            environment[$"Sidecar__Namespaces__{ns}__Collection"] = ns;
        }

        environment[$"Sidecar__Namespaces__{ns}__Ttl"] = "01:00:00";
        return environment;
    }

    /// <summary>The start-up refusal of a build without write-behind (docs/decisions/0004).</summary>
    public static bool IsWriteBehindUnavailable(SidecarExitedException ex) =>
        ex.Output.Contains("WriteBehind is not available in this build", StringComparison.Ordinal);
}
