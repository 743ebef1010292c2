using System.Net;
using System.Net.Sockets;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>Loopback ports for tests that need an address nothing listens on.</summary>
internal static class Ports
{
    /// <summary>A port that was free a moment ago (the OS handed it out, and it was released).</summary>
    public static int Unused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
