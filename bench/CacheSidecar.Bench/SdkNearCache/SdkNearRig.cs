using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Client;
using CacheSidecar.Client.NearCache;
using CacheSidecar.Contracts.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// Two sidecar processes on the bench's one Redis (and store): A, which the application reads through, and B,
/// where "another service" writes. The application is two DI containers in this process, as an app would build
/// them: one with the SDK's near cache on <see cref="Namespace"/>, one without (the plain sidecar Get).
/// </summary>
internal sealed class SdkNearRig : IAsyncDisposable
{
    /// <summary>CacheAside, publishing its invalidations, no L1 in the sidecar: the SDK's is the only one.</summary>
    public const string Namespace = "sdknear";

    private static readonly TimeSpan ServingBound = TimeSpan.FromSeconds(30);

    private readonly List<SidecarProcess> _sidecars = [];
    private readonly List<ServiceProvider> _applications = [];
    private GrpcChannel? _writerChannel;

    private SdkNearRig()
    {
    }

    public SidecarProcess A { get; private set; } = null!;

    public SidecarProcess B { get; private set; } = null!;

    /// <summary>The SDK with the near cache on <see cref="Namespace"/>, over sidecar A.</summary>
    public CacheSidecarClient Near { get; private set; } = null!;

    /// <summary>The near cache behind <see cref="Near"/> (its stream runs on A).</summary>
    public SidecarNearCache NearCache { get; private set; } = null!;

    /// <summary>The SDK without a near cache, over sidecar A (its own channel).</summary>
    public CacheSidecarClient Plain { get; private set; } = null!;

    /// <summary>A plain generated client on sidecar B: the other service's writes.</summary>
    public Cache.CacheClient Writer { get; private set; } = null!;

    /// <summary>Starts A and B, builds both applications and waits until the near cache serves.</summary>
    public static async Task<SdkNearRig> StartAsync(BackingServers servers, CancellationToken cancellationToken)
    {
        var rig = new SdkNearRig();
        try
        {
            var environment = Environment(servers);
            rig.A = await rig.OwnAsync(BenchSidecar.StartAsync("sdknear-a", environment, cancellationToken));
            rig.B = await rig.OwnAsync(BenchSidecar.StartAsync("sdknear-b", environment, cancellationToken));
            rig._writerChannel = GrpcChannel.ForAddress(rig.B.Address);
            rig.Writer = new Cache.CacheClient(rig._writerChannel);

            var near = rig.Application(nearCache: true);
            rig.Near = near.GetRequiredService<CacheSidecarClient>();
            rig.NearCache = near.GetRequiredService<SidecarNearCache>();
            rig.Plain = rig.Application(nearCache: false).GetRequiredService<CacheSidecarClient>();
            await rig.UntilServingAsync(cancellationToken);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>What both sidecars run with, as an operator would set it.</summary>
    public static Dictionary<string, string> Environment(BackingServers servers)
    {
        var environment = BenchNamespaces.Backends(servers).WithCacheAside(Namespace);
        environment[$"Sidecar__Namespaces__{Namespace}__PublishInvalidations"] = "true";
        return environment;
    }

    public void ThrowIfExited()
    {
        A.ThrowIfExited();
        B.ThrowIfExited();
    }

    public async ValueTask DisposeAsync()
    {
        // Applications first (their streams end cleanly), then the sidecars, killed by PID.
        foreach (var application in _applications)
        {
            await application.DisposeAsync();
        }

        _applications.Clear();
        _writerChannel?.Dispose();
        foreach (var sidecar in _sidecars)
        {
            await sidecar.DisposeAsync();
        }

        _sidecars.Clear();
    }

    private async Task<SidecarProcess> OwnAsync(Task<SidecarProcess> starting)
    {
        var sidecar = await starting;
        _sidecars.Add(sidecar);
        return sidecar;
    }

    /// <summary>One application's container: the SDK registered the documented way, on sidecar A over TCP.</summary>
    private ServiceProvider Application(bool nearCache)
    {
        var services = new ServiceCollection();
        services.AddCacheSidecarClient(o =>
        {
            o.Address = A.Address;
            if (nearCache)
            {
                o.NearCaches[Namespace] = new NearCacheOptions();
            }
        });
        var provider = services.BuildServiceProvider();
        _applications.Add(provider);
        return provider;
    }

    private async Task UntilServingAsync(CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.StartNew();
        while (!NearCache.IsServing(Namespace))
        {
            if (waiting.Elapsed > ServingBound)
            {
                throw new BenchFailedException(
                    $"the SDK near cache did not serve '{Namespace}' within {ServingBound.TotalSeconds:0} s "
                    + "(no SYNCED on sidecar A's WatchInvalidations stream)");
            }

            ThrowIfExited();
            await Task.Delay(10, cancellationToken);
        }
    }
}
