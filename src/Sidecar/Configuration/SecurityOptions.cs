namespace CacheSidecar.Configuration;

public sealed class SecurityOptions
{
    /// <summary>Allows Kestrel endpoints other than loopback (0.0.0.0, a pod IP, a host name). Off by
    /// default: the sidecar then refuses to start on such an endpoint. When on, it starts with a
    /// warning naming each such endpoint.</summary>
    public bool AllowNonLoopbackBinding { get; set; }
}
