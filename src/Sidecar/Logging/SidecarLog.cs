using Microsoft.Extensions.Logging;

namespace CacheSidecar.Logging;

/// <summary>
/// Every log line the sidecar writes, with fixed event ids. Values, tokens and connection
/// strings are never logged; keys only where an operator needs them.
/// </summary>
internal static partial class SidecarLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "CacheSidecar starting: cache tier = {CacheTier}; store = {Store}; {NamespaceCount} namespace(s)")]
    public static partial void Starting(ILogger logger, string cacheTier, string store, int namespaceCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Embedded default: no Redis and/or MongoDB configured. Using {CacheTier} and {Store}. Set Sidecar:Redis:Configuration and Sidecar:Mongo:ConnectionString for a real deployment.")]
    public static partial void EmbeddedMode(ILogger logger, string cacheTier, string store);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Namespace {Namespace}: strategy {Strategy}, ttl {Ttl}, collection {Collection}")]
    public static partial void NamespaceConfigured(ILogger logger, string @namespace, string strategy, TimeSpan ttl, string collection);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Cache tier unavailable for namespace {Namespace}; serving from the store ({Reason})")]
    public static partial void CacheFallback(ILogger logger, string @namespace, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Cache invalidation for namespace {Namespace} deferred until the cache tier is back ({Reason})")]
    public static partial void InvalidationDeferred(ILogger logger, string @namespace, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Cache tier reachable again: bumped {Count} partition generation(s) whose invalidations were missed")]
    public static partial void MissedInvalidationsReplayed(ILogger logger, int count);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Store unavailable for namespace {Namespace}; served a stale cached value")]
    public static partial void ServedStale(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "{Method} failed with {StatusCode}: {Reason}")]
    public static partial void CallFailed(ILogger logger, string method, Grpc.Core.StatusCode statusCode, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "{Method} failed with an unexpected error")]
    public static partial void UnexpectedError(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "{Method} rejected: missing or invalid bearer token")]
    public static partial void Unauthenticated(ILogger logger, string method);
}
