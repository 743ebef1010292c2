using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CacheSidecar.Testing.Redis.Internal;

/// <summary>Hands out free loopback ports by letting the OS pick one (bind to port 0), then releasing it.</summary>
internal static class LoopbackPorts
{
    private const int MaxBindAttempts = 100;

    // Ports held by live instances in this test process. The OS may re-offer a just-released port to
    // the next bind(0); skipping these closes that window between concurrent StartAsync calls here.
    // Other processes can still race us, which is why RedisServerProcess retries on "Address already in use".
    private static readonly ConcurrentDictionary<int, byte> Reserved = new();

    /// <summary>Reserves <paramref name="count"/> distinct free ports; release each with <see cref="Release"/>.</summary>
    public static int[] Reserve(int count)
    {
        var listeners = new List<TcpListener>();
        var ports = new List<int>();
        try
        {
            // All listeners stay open until every port is chosen, so the OS cannot hand out one port twice.
            for (var attempt = 0; ports.Count < count; attempt++)
            {
                if (attempt == MaxBindAttempts)
                {
                    throw new InvalidOperationException($"Could not find {count} free loopback ports in {MaxBindAttempts} attempts.");
                }

                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Reserved.TryAdd(port, 0))
                {
                    ports.Add(port);
                }
            }

            return [.. ports];
        }
        catch
        {
            ports.ForEach(Release);
            throw;
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }

    /// <summary>Marks an explicitly requested port as held so automatic picks avoid it.</summary>
    public static void Hold(int port) => Reserved.TryAdd(port, 0);

    public static void Release(int port) => Reserved.TryRemove(port, out _);
}
