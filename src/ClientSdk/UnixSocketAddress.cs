using System.Net.Sockets;

namespace CacheSidecar.Client;

/// <summary>
/// A sidecar address on a Unix domain socket: <c>unix:/path/to.sock</c> (or <c>unix:///path/to.sock</c>, gRPC's
/// spelling). HTTP/2 runs over the socket exactly as over TCP; the HTTP layer only needs a placeholder authority.
/// </summary>
public static class UnixSocketAddress
{
    /// <summary>The authority requests carry over a socket (the sidecar ignores it).</summary>
    public static readonly Uri HttpAddress = new("http://localhost");

    /// <summary>Whether <paramref name="address"/> names a Unix domain socket.</summary>
    public static bool IsUnixSocket(Uri address) =>
        address is not null && address.Scheme.Equals("unix", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A handler that opens every connection on the socket at <paramref name="address"/>'s path, for
    /// <c>GrpcChannelOptions.HttpHandler</c> when building a channel by hand.
    /// </summary>
    public static SocketsHttpHandler Handler(Uri address)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        Connect(handler, address);
        return handler;
    }

    /// <summary>Makes <paramref name="handler"/> open its connections on the socket at <paramref name="address"/>'s path.</summary>
    public static void Connect(SocketsHttpHandler handler, Uri address)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(address);
        var endpoint = new UnixDomainSocketEndPoint(address.AbsolutePath);
        handler.ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }
}
