namespace CacheSidecar.Core;

/// <summary>Neither the cache nor the store can serve this operation.</summary>
internal sealed class SidecarUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
