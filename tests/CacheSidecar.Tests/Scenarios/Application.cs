using CacheSidecar.Client;
using CacheSidecar.Client.NearCache;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>An application process's view of the SDK: its DI container, client and near cache.</summary>
internal sealed class Application(ServiceProvider provider) : IAsyncDisposable
{
    public CacheSidecarClient Client { get; } = provider.GetRequiredService<CacheSidecarClient>();

    public SidecarNearCache NearCache { get; } = provider.GetRequiredService<SidecarNearCache>();

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
