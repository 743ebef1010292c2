using System.Net;
using System.Net.Sockets;

namespace CacheSidecar.Testing;

/// <summary>
/// Loopback ports for sidecar endpoints, each handed out once per process.
/// </summary>
/// <remarks>
/// The ports come from below the kernel's ephemeral range (usually 32768-60999): a port picked with
/// bind(0) and released can be handed out again at once, to another caller's bind(0) or to an outgoing
/// connection, before the sidecar binds it ("address already in use"). Nothing takes ports from this
/// range implicitly. Another process may still hold one, which is why each is bind-checked here and why
/// <see cref="SidecarLauncher.StartAsync"/> retries on another port.
/// </remarks>
public static class FreeLoopbackPorts
{
    private const int First = 20_000;
    private const int End = 32_000;

    // A random start per process, so two processes (the tests and a bench run) rarely walk the same ports.
    private static int _next = First + Random.Shared.Next(10_000);

    /// <summary>A loopback port nothing listened on a moment ago and this process has not handed out yet.</summary>
    public static int Next()
    {
        for (var tried = 0; tried < End - First; tried++)
        {
            var port = Interlocked.Increment(ref _next);
            if (port >= End)
            {
                Interlocked.CompareExchange(ref _next, First, port);
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by something else: try the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port in {First}-{End - 1}.");
    }
}
