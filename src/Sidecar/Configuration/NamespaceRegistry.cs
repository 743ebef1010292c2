using System.Collections.Frozen;
using System.Reflection;
using CacheSidecar.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CacheSidecar.Configuration;

/// <summary>
/// The validated namespace policies, looked up by name on every call, and hot-reloaded when the
/// configuration changes (a mounted ConfigMap file, see <c>CACHESIDECAR_CONFIG_FILE</c>).
/// <para>
/// A reload may change what is safe to change under traffic (TTLs, jitter, negative TTL, limits,
/// stale window, fail-safe and cache-down behaviour, lease TTL) and add namespaces that are
/// neither write-behind nor near-cached. It may not change a setting marked
/// <see cref="RequiresRestartAttribute"/> where it is declared (what data lives where, and what starts
/// with the sidecar) or remove a namespace: such a reload, or one that
/// fails validation, is refused whole, the previous policies stay, and the log says why. Calls in
/// flight keep the policy they started with; queued write-behind writes are untouched.
/// </para>
/// </summary>
internal sealed class NamespaceRegistry : IDisposable
{
    private readonly IConfiguration? _configuration;
    private readonly ILogger<NamespaceRegistry>? _logger;
    private readonly IDisposable? _subscription;

    // The settings marked [RequiresRestart] where they are declared.
    private static readonly PropertyInfo[] RestartOnlySettings = typeof(NamespacePolicy).GetProperties()
        .Where(p => p.IsDefined(typeof(RequiresRestartAttribute), inherit: true))
        .ToArray();

    private volatile FrozenDictionary<string, NamespacePolicy> _policies;

    public NamespaceRegistry(IOptions<SidecarOptions> options, IConfiguration? configuration = null,
        ILogger<NamespaceRegistry>? logger = null)
    {
        _policies = Resolve(options.Value);
        _configuration = configuration;
        _logger = logger;
        if (configuration is not null)
        {
            _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
        }
    }

    public IEnumerable<NamespacePolicy> All => _policies.Values.OrderBy(policy => policy.Name, StringComparer.Ordinal);

    public bool TryGet(string name, out NamespacePolicy policy) => _policies.TryGetValue(name, out policy!);

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<string, NamespacePolicy> Resolve(SidecarOptions options) =>
        options.Namespaces.ToFrozenDictionary(
            pair => pair.Key,
            pair => NamespacePolicy.From(pair.Key, pair.Value, options.Redis.KeyPrefix),
            StringComparer.Ordinal);

    private void Reload()
    {
        var fresh = new SidecarOptions();
        List<string> refusals;
        try
        {
            _configuration!.GetSection(SidecarOptions.SectionName)
                .Bind(fresh, binder => binder.ErrorOnUnknownConfiguration = true);
            var validation = new SidecarOptionsValidator().Validate(null, fresh);
            refusals = validation.Failed ? validation.Failures.ToList() : [];
        }
        catch (InvalidOperationException ex)
        {
            refusals = [ex.Message]; // an unknown key or a value that does not convert
        }

        var next = refusals.Count == 0 ? Resolve(fresh) : null;
        var current = _policies;
        if (next is not null)
        {
            refusals.AddRange(StructuralChanges(current, next));
        }

        if (refusals.Count > 0)
        {
            var reasons = string.Join("; ", refusals);
            SidecarLog.PolicyReloadRefused(_logger!, reasons);
            return;
        }

        var changed = next!.Keys
            .Where(name => !current.TryGetValue(name, out var before) || before != next[name])
            .Order(StringComparer.Ordinal)
            .ToList();
        if (changed.Count == 0)
        {
            return;
        }

        _policies = next;
        var names = string.Join(", ", changed);
        SidecarLog.PolicyReloaded(_logger!, names);
    }

    private static IEnumerable<string> StructuralChanges(FrozenDictionary<string, NamespacePolicy> current,
        FrozenDictionary<string, NamespacePolicy> next)
    {
        foreach (var (name, before) in current)
        {
            if (!next.TryGetValue(name, out var after))
            {
                yield return $"namespace '{name}' cannot be removed without a restart";
                continue;
            }

            var changed = RestartOnlySettings.Where(p => !Equals(p.GetValue(before), p.GetValue(after))).ToList();
            if (changed.Count > 0)
            {
                yield return $"namespace '{name}': {string.Join(", ", changed.Select(p => p.Name))} changed; "
                    + $"{string.Join(", ", RestartOnlySettings.Select(p => p.Name))} settings need a restart";
            }
        }

        foreach (var (name, added) in next)
        {
            if (!current.ContainsKey(name) && added.Strategy == CacheStrategy.WriteBehind)
            {
                yield return $"new namespace '{name}': a write-behind namespace needs a restart "
                    + "(its flushers start with the sidecar)";
            }

            if (!current.ContainsKey(name) && added.NearCache.Enabled)
            {
                yield return $"new namespace '{name}': a near-cache namespace needs a restart "
                    + "(its invalidation subscription starts with the sidecar)";
            }
        }
    }
}
