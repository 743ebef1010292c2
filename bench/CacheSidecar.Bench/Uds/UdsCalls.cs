using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace CacheSidecar.Bench.Uds;

/// <summary>
/// The two channels to the one sidecar and the calls every <c>uds</c> row makes over either. The requests
/// are built once and shared by both transports, so the rows differ in the transport only.
/// </summary>
internal sealed class UdsCalls : IDisposable
{
    public const int GetKeyCount = 1_000;

    private readonly GrpcChannel _tcp;
    private readonly GrpcChannel _unix;
    private readonly GetRequest[] _gets;
    private readonly ListNamespacesRequest _listNamespaces = new();

    private UdsCalls(GrpcChannel tcp, GrpcChannel unix)
    {
        _tcp = tcp;
        _unix = unix;
        Tcp = new Cache.CacheClient(tcp);
        UnixSocket = new Cache.CacheClient(unix);
        _gets = GetKeys.Select(key => new GetRequest { Namespace = BenchNamespaces.GetHit, Key = key }).ToArray();
    }

    /// <summary>Keys of the Get-hit namespace (all cache hits once prefilled).</summary>
    public static string[] GetKeys { get; } = Payload.Keys("g", GetKeyCount);

    public Cache.CacheClient Tcp { get; }

    public Cache.CacheClient UnixSocket { get; }

    /// <summary>
    /// TCP as every other command (and the SDK, for an http:// address) builds it; the socket as the SDK
    /// builds it for a unix: address: a SocketsHttpHandler whose ConnectCallback opens the socket.
    /// </summary>
    public static UdsCalls Open(Uri tcpAddress, Uri socketAddress)
    {
        var tcp = GrpcChannel.ForAddress(tcpAddress);
        try
        {
            var unix = GrpcChannel.ForAddress(UnixSocketAddress.HttpAddress, new GrpcChannelOptions
            {
                HttpHandler = UnixSocketAddress.Handler(socketAddress),
            });
            return new UdsCalls(tcp, unix);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public Cache.CacheClient Client(UdsTransport transport) => transport == UdsTransport.Tcp ? Tcp : UnixSocket;

    /// <summary>Get in the CacheAside namespace, 1,000 keys cycled; must be found with source CACHE and the 1 KB value.</summary>
    public Operation GetHit(UdsTransport transport)
    {
        var cache = Client(transport);
        return async (sequence, cancellationToken) =>
            (await cache.GetAsync(_gets[sequence % _gets.Length], cancellationToken: cancellationToken))
                is { Found: true, Source: ValueSource.Cache, Value.Length: Payload.ValueBytes };
    }

    /// <summary><c>Cache/ListNamespaces</c>: answered from the sidecar's memory, no backend work: the transport and gRPC alone.</summary>
    public Operation ListNamespaces(UdsTransport transport)
    {
        var cache = Client(transport);
        return async (_, cancellationToken) =>
            (await cache.ListNamespacesAsync(_listNamespaces, cancellationToken: cancellationToken)).Namespaces.Count > 0;
    }

    /// <summary>
    /// One ListNamespaces and one Get hit over <paramref name="transport"/> before any load, so a transport
    /// that does not work fails the bench with the call's exact error instead of a table of errors.
    /// </summary>
    public async Task ProbeAsync(UdsTransport transport, CancellationToken cancellationToken)
    {
        try
        {
            if (!await ListNamespaces(transport)(0, cancellationToken))
            {
                throw new BenchFailedException($"{transport}: ListNamespaces answered no namespace.");
            }

            if (!await GetHit(transport)(0, cancellationToken))
            {
                throw new BenchFailedException($"{transport}: Get of {GetKeys[0]} was not a cache hit of the 1 KB value.");
            }
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var cause = ex.Status.DebugException is { } debug ? $" ({debug.GetType().Name}: {debug.Message})" : "";
            throw new BenchFailedException($"{transport}: the probe call failed: {ex.Message}{cause}", ex);
        }
    }

    public void Dispose()
    {
        _tcp.Dispose();
        _unix.Dispose();
    }
}
