using Microsoft.Extensions.Logging;

namespace CacheSidecar.Logging;

/// <summary>
/// Every log line the sidecar writes, with fixed event ids. Values, tokens and connection
/// strings are never logged; keys only where an operator needs them.
/// </summary>
internal static partial class SidecarLog
{
    [LoggerMessage(
        EventId = 1,
        Level = LogLevel.Information,
        Message = "CacheSidecar starting: cache tier = {CacheTier}; store = {Store}; {NamespaceCount} namespace(s)")]
    public static partial void Starting(ILogger logger, string cacheTier, string store, int namespaceCount);

    [LoggerMessage(
        EventId = 2,
        Level = LogLevel.Warning,
        Message = "Embedded default: no Redis and/or MongoDB configured. Using {CacheTier} and {Store}. "
            + "Set Sidecar:Redis:Configuration and Sidecar:Mongo:ConnectionString for a real deployment.")]
    public static partial void EmbeddedMode(ILogger logger, string cacheTier, string store);

    [LoggerMessage(
        EventId = 3,
        Level = LogLevel.Information,
        Message = "Namespace {Namespace}: strategy {Strategy}, ttl {Ttl}, collection {Collection}")]
    public static partial void NamespaceConfigured(
        ILogger logger,
        string @namespace,
        string strategy,
        TimeSpan ttl,
        string collection);

    [LoggerMessage(
        EventId = 4,
        Level = LogLevel.Critical,
        Message = "Sidecar:Redis:UnsafeDisableFillLeaseCheckForTesting is set: "
            + "cache-aside fills ignore their lease and can cache stale values. "
            + "This switch exists only to prove the consistency checker works.")]
    public static partial void UnsafeFillLeaseCheckDisabled(ILogger logger);

    [LoggerMessage(
        EventId = 5,
        Level = LogLevel.Information,
        Message = "Namespace policies reloaded; changed or added: {Namespaces}")]
    public static partial void PolicyReloaded(ILogger logger, string namespaces);

    [LoggerMessage(
        EventId = 6,
        Level = LogLevel.Warning,
        Message = "Namespace policy reload refused; keeping the previous policies: {Reasons}")]
    public static partial void PolicyReloadRefused(ILogger logger, string reasons);

    [LoggerMessage(
        EventId = 10,
        Level = LogLevel.Warning,
        Message = "Cache tier unavailable for namespace {Namespace}; serving from the store ({Reason})")]
    public static partial void CacheFallback(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 11,
        Level = LogLevel.Warning,
        Message = "Cache invalidation for namespace {Namespace} deferred until the cache tier is back ({Reason})")]
    public static partial void InvalidationDeferred(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 12,
        Level = LogLevel.Information,
        Message = "Cache tier reachable again: bumped {Count} partition generation(s) whose invalidations were missed")]
    public static partial void MissedInvalidationsReplayed(ILogger logger, int count);

    [LoggerMessage(
        EventId = 13,
        Level = LogLevel.Warning,
        Message = "Store unavailable for namespace {Namespace}; served a stale cached value")]
    public static partial void ServedStale(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "{Method} failed with {StatusCode}: {Reason}")]
    public static partial void CallFailed(
        ILogger logger,
        string method,
        Grpc.Core.StatusCode statusCode,
        string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "{Method} failed with an unexpected error")]
    public static partial void UnexpectedError(ILogger logger, string method, Exception exception);

    [LoggerMessage(
        EventId = 22,
        Level = LogLevel.Warning,
        Message = "{Method} rejected: missing or invalid bearer token")]
    public static partial void Unauthenticated(ILogger logger, string method);

    [LoggerMessage(
        EventId = 30,
        Level = LogLevel.Error,
        Message = "Write-behind {Namespace}: key {Key} at version {Version} moved to the dead-letter stream "
            + "after {Attempts} attempt(s): {Error}")]
    public static partial void WriteBehindDeadLettered(
        ILogger logger,
        string @namespace,
        string key,
        long version,
        int attempts,
        string error);

    [LoggerMessage(
        EventId = 31,
        Level = LogLevel.Warning,
        Message = "Write-behind {Namespace}: flush round failed, retrying in {Delay} ({Reason})")]
    public static partial void WriteBehindFlushRetry(ILogger logger, string @namespace, TimeSpan delay, string reason);

    [LoggerMessage(
        EventId = 32,
        Level = LogLevel.Information,
        Message = "Write-behind {Namespace}: reclaimed {Count} unacknowledged entries from silent flushers")]
    public static partial void WriteBehindReclaimed(ILogger logger, string @namespace, int count);

    [LoggerMessage(
        EventId = 33,
        Level = LogLevel.Information,
        Message = "Write-behind {Namespace}: shutdown flush done; "
            + "{Remaining} entries of this instance left in Redis for other instances")]
    public static partial void WriteBehindDrained(ILogger logger, string @namespace, int remaining);

    [LoggerMessage(
        EventId = 34,
        Level = LogLevel.Warning,
        Message = "Namespace {Namespace}: write-behind cannot be durable on the in-process cache tier; "
            + "it behaves as write-through (each Put is written to the store before it is acknowledged)")]
    public static partial void WriteBehindEmbedded(ILogger logger, string @namespace);

    [LoggerMessage(
        EventId = 35,
        Level = LogLevel.Information,
        Message = "Write-behind {Namespace}: flusher {Consumer} started "
            + "({Partitions} partitions, batch size {BatchSize}, flush interval {FlushInterval})")]
    public static partial void WriteBehindFlusherStarted(
        ILogger logger,
        string @namespace,
        string consumer,
        int partitions,
        int batchSize,
        TimeSpan flushInterval);

    [LoggerMessage(
        EventId = 36,
        Level = LogLevel.Warning,
        Message = "Write-behind {Namespace}: the store refused key {Key} "
            + "(attempt {Attempt} of {MaxAttempts}): {Error}")]
    public static partial void WriteBehindRejected(
        ILogger logger,
        string @namespace,
        string key,
        int attempt,
        int maxAttempts,
        string error);

    [LoggerMessage(
        EventId = 37,
        Level = LogLevel.Warning,
        Message = "Redis maxmemory-policy is '{Policy}': Redis may evict write-behind pending records and logs, "
            + "losing acknowledged writes. Use 'noeviction' or a 'volatile-*' policy.")]
    public static partial void WriteBehindEvictionRisk(ILogger logger, string policy);

    [LoggerMessage(
        EventId = 38,
        Level = LogLevel.Warning,
        Message = "Write-behind {Namespace}: Redis unavailable, Put degraded to write-through ({Reason})")]
    public static partial void WriteBehindDegraded(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 39,
        Level = LogLevel.Error,
        Message = "Write-behind {Namespace}: flush round failed unexpectedly; retrying")]
    public static partial void WriteBehindRoundFailed(ILogger logger, string @namespace, Exception exception);

    [LoggerMessage(
        EventId = 40,
        Level = LogLevel.Warning,
        Message = "Listening beyond loopback: {Source} = {Url} ({AllowOption} is true). "
            + "Anything that can reach this host can call the sidecar; bearer token required: {TokenRequired}.")]
    public static partial void NonLoopbackBinding(
        ILogger logger,
        string source,
        string url,
        string allowOption,
        bool tokenRequired);

    [LoggerMessage(
        EventId = 41,
        Level = LogLevel.Warning,
        Message = "Near-cache {Namespace}: cannot check the invalidation counter in Redis ({Reason}); "
            + "not serving from L1 until a check succeeds")]
    public static partial void NearCacheCheckFailed(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 42,
        Level = LogLevel.Warning,
        Message = "Near-cache {Namespace}: invalidations were missed (Redis counter at {Sequence}); L1 cleared")]
    public static partial void NearCacheBehind(ILogger logger, string @namespace, long sequence);

    [LoggerMessage(
        EventId = 43,
        Level = LogLevel.Warning,
        Message = "Near-cache {Namespace}: could not publish an invalidation ({Reason}); "
            + "a clear is published at the next check")]
    public static partial void NearCachePublishFailed(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 44,
        Level = LogLevel.Warning,
        Message = "Near-cache: Redis {ConnectionType} connection lost; "
            + "every L1 cleared and bypassed until its next check")]
    public static partial void NearCacheDisconnected(ILogger logger, string connectionType);

    [LoggerMessage(
        EventId = 45,
        Level = LogLevel.Information,
        Message = "Near-cache {Namespace}: on, at most {MaxEntries} entries / {MaxBytes} bytes, "
            + "served for at most {Ttl}, checked every {ResyncInterval}")]
    public static partial void NearCacheEnabled(
        ILogger logger,
        string @namespace,
        int maxEntries,
        long maxBytes,
        TimeSpan ttl,
        TimeSpan resyncInterval);

    [LoggerMessage(
        EventId = 46,
        Level = LogLevel.Warning,
        Message = "Near-cache {Namespace}: ignored, the L1 only runs in front of Redis "
            + "(this instance uses the embedded in-process cache)")]
    public static partial void NearCacheIgnored(ILogger logger, string @namespace);

    [LoggerMessage(
        EventId = 47,
        Level = LogLevel.Warning,
        Message = "Store collection {Collection}: the TTL index that purges delete tombstones could not be "
            + "created ({Reason}); deletes still work, but tombstones stay until removed by hand")]
    public static partial void TombstoneIndexRefused(ILogger logger, string collection, string reason);

    [LoggerMessage(
        EventId = 48,
        Level = LogLevel.Warning,
        Message = "Purging delete tombstones failed ({Reason}); retrying in {Interval}")]
    public static partial void TombstonePurgeFailed(ILogger logger, string reason, TimeSpan interval);

    [LoggerMessage(
        EventId = 49,
        Level = LogLevel.Warning,
        Message = "Redis restarted or failed over (a primary's run_id changed): the generations of "
            + "{Partitions} store-backed partitions are bumped before the cache is read again")]
    public static partial void RedisRestarted(ILogger logger, int partitions);

    [LoggerMessage(
        EventId = 50,
        Level = LogLevel.Warning,
        Message = "Redis refused INFO ({Reason}): a Redis restart cannot be detected, so entries restored "
            + "from its AOF are served until their TTL even if the store changed meanwhile")]
    public static partial void RedisIdentityUnknown(ILogger logger, string reason);

    [LoggerMessage(
        EventId = 51,
        Level = LogLevel.Information,
        Message = "Change stream {Namespace}: this instance is the watcher ({Start})")]
    public static partial void WatcherStarted(ILogger logger, string @namespace, string start);

    [LoggerMessage(
        EventId = 52,
        Level = LogLevel.Warning,
        Message = "Change stream {Namespace}: stopped watching ({Reason}); another instance takes over "
            + "within one lease period")]
    public static partial void WatcherStopped(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 53,
        Level = LogLevel.Warning,
        Message = "Change stream {Namespace}: {Reason}; "
            + "the whole namespace is invalidated and the watch starts afresh")]
    public static partial void WatcherStartsAfresh(ILogger logger, string @namespace, string reason);

    [LoggerMessage(
        EventId = 54,
        Level = LogLevel.Information,
        Message = "Listening on Unix socket {Path} (mode 0660: the sidecar's user and group may connect)")]
    public static partial void UnixSocketListening(ILogger logger, string path);
}
