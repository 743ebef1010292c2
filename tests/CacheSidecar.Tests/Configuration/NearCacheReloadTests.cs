using CacheSidecar.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.Configuration;

/// <summary>
/// A near-cache change needs a restart: every instance must agree on which namespaces publish
/// invalidations, and the subscription starts with the sidecar. A hot reload that tries is
/// refused whole and the running policy stays.
/// </summary>
public sealed class NearCacheReloadTests
{
    [Theory]
    [InlineData("Sidecar:Namespaces:hot:NearCache:Enabled", "false")]
    [InlineData("Sidecar:Namespaces:hot:NearCache:Ttl", "00:00:30")]
    [InlineData("Sidecar:Namespaces:fresh:NearCache:Enabled", "true")]
    public void A_reload_that_changes_a_near_cache_is_refused_and_the_running_policy_stays(string key, string value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Namespaces:hot:Collection"] = "hot_items",
            ["Sidecar:Namespaces:hot:NearCache:Enabled"] = "true",
            ["Sidecar:Namespaces:hot:Ttl"] = "00:10:00",
        };
        using var registry = Watching(settings, out var source);

        source.Provider.Replace(new Dictionary<string, string?>(settings)
        {
            ["Sidecar:Namespaces:hot:Ttl"] = "00:05:00", // an allowed change alongside: refused with it
            ["Sidecar:Namespaces:fresh:Collection"] = "fresh_items",
            [key] = value,
        });

        Assert.True(registry.TryGet("hot", out var hot));
        Assert.True(hot.NearCache.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(5), hot.NearCache.Ttl);
        Assert.Equal(TimeSpan.FromMinutes(10), hot.Ttl);
        Assert.False(registry.TryGet("fresh", out _));
    }

    [Fact]
    public void A_reload_that_leaves_the_near_cache_alone_applies()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Namespaces:hot:Collection"] = "hot_items",
            ["Sidecar:Namespaces:hot:NearCache:Enabled"] = "true",
        };
        using var registry = Watching(settings, out var source);

        source.Provider.Replace(new Dictionary<string, string?>(settings) { ["Sidecar:Namespaces:hot:Ttl"] = "00:05:00" });

        Assert.True(registry.TryGet("hot", out var hot));
        Assert.Equal(TimeSpan.FromMinutes(5), hot.Ttl);
        Assert.True(hot.NearCache.Enabled);
    }

    /// <summary>A registry started from <paramref name="settings"/> and watching them for reloads, as the sidecar's is.</summary>
    private static NamespaceRegistry Watching(Dictionary<string, string?> settings, out ReloadableSource source)
    {
        source = new ReloadableSource(settings);
        var configuration = new ConfigurationBuilder().Add(source).Build();
        var options = new SidecarOptions();
        configuration.GetSection(SidecarOptions.SectionName).Bind(options);
        return new NamespaceRegistry(Options.Create(options), configuration, NullLogger<NamespaceRegistry>.Instance);
    }

    /// <summary>An in-memory source whose whole content can be swapped, raising the reload token like a changed file.</summary>
    private sealed class ReloadableSource(Dictionary<string, string?> initial) : IConfigurationSource
    {
        public ReloadableProvider Provider { get; } = new(initial);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
    }

    private sealed class ReloadableProvider(Dictionary<string, string?> initial) : ConfigurationProvider
    {
        public override void Load() => Data = new Dictionary<string, string?>(initial, StringComparer.OrdinalIgnoreCase);

        public void Replace(Dictionary<string, string?> data)
        {
            Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
            OnReload();
        }
    }
}
