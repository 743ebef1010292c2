namespace CacheSidecar.Core;

/// <summary>The cache tier cannot be used right now (unreachable, timed out, or its circuit is open).</summary>
internal sealed class CacheUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
