namespace CacheSidecar.Core;

/// <summary>
/// The namespace's write-behind backlog is at <c>MaxBacklog</c>; nothing was written (maps to
/// <c>RESOURCE_EXHAUSTED</c>).
/// </summary>
internal sealed class BacklogFullException(string message) : Exception(message);
