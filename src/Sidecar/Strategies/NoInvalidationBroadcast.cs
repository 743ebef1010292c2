using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>No instance keeps a copy beyond the cache tier (the embedded default: one process, one tier).</summary>
internal sealed class NoInvalidationBroadcast : IInvalidationBroadcast
{
    public Task KeysChangedAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys) => Task.CompletedTask;

    public Task NamespaceChangedAsync(NamespacePolicy ns) => Task.CompletedTask;
}
