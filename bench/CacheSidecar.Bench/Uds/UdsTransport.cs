namespace CacheSidecar.Bench.Uds;

/// <summary>How the bench's client reaches the one sidecar process of the <c>uds</c> command.</summary>
internal enum UdsTransport
{
    /// <summary>HTTP/2 (h2c) over loopback TCP, 127.0.0.1: the launcher's gRPC endpoint.</summary>
    Tcp,

    /// <summary>HTTP/2 over a Unix domain socket: the <c>GrpcUnix</c> Kestrel endpoint.</summary>
    UnixSocket,
}
