using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Configuration;

/// <summary>The validated namespace policies, looked up by name on every call.</summary>
internal sealed class NamespaceRegistry
{
    private readonly FrozenDictionary<string, NamespacePolicy> _policies;

    public NamespaceRegistry(IOptions<SidecarOptions> options)
    {
        _policies = options.Value.Namespaces
            .ToFrozenDictionary(pair => pair.Key, pair => NamespacePolicy.From(pair.Key, pair.Value, options.Value.Redis.KeyPrefix), StringComparer.Ordinal);
    }

    public IEnumerable<NamespacePolicy> All => _policies.Values.OrderBy(policy => policy.Name, StringComparer.Ordinal);

    public bool TryGet(string name, out NamespacePolicy policy) => _policies.TryGetValue(name, out policy!);
}
