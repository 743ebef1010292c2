using ArchUnitNET.Domain;
using ArchUnitNET.Fluent.Slices;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnitV3;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using ArchitectureModel = ArchUnitNET.Domain.Architecture;

namespace CacheSidecar.Tests.Architecture;

/// <summary>
/// The sidecar's folders form layers and depend only downwards (docs/architecture.md, "Layering").
/// Each folder is one namespace, <c>CacheSidecar.&lt;Folder&gt;</c>. A new folder must be placed in
/// <see cref="MayDependOn"/> before it builds, and a reference that points up or sideways fails here,
/// naming the two types.
/// </summary>
public sealed class LayeringTests
{
    private static readonly ArchitectureModel Sidecar =
        new ArchLoader().LoadAssemblies(typeof(Program).Assembly).Build();

    // The folders below everything: shared by every layer, depending on nothing of ours.
    private static readonly string[] Foundation = ["Core", "Logging", "Telemetry", "Configuration"];

    /// <summary>For each folder, the folders it may use. Anything else is a layering violation.</summary>
    private static readonly Dictionary<string, string[]> MayDependOn = new(StringComparer.Ordinal)
    {
        ["Core"] = [],
        ["Logging"] = [],
        ["Telemetry"] = [],
        ["Configuration"] = ["Logging"],
        ["Redis"] = [.. Foundation],
        ["Store"] = [.. Foundation],
        ["CacheTier"] = ["Redis", .. Foundation],
        ["Strategies"] = ["CacheTier", "Store", .. Foundation],
        ["Invalidations"] = ["Strategies", .. Foundation],
        ["NearCache"] = ["Invalidations", "Strategies", "Redis", .. Foundation],
        ["WriteBehind"] = ["Strategies", "CacheTier", "Store", "Redis", .. Foundation],
        ["ChangeStreams"] = ["Strategies", "CacheTier", "Store", "Redis", .. Foundation],
        ["Api"] = ["Invalidations", "Strategies", .. Foundation],
        ["Hosting"] = ["Api", "Invalidations", "NearCache", "WriteBehind", "ChangeStreams", "Strategies", "CacheTier", "Store", "Redis", .. Foundation],
    };

    [Fact]
    public void Every_folder_depends_only_on_the_layers_below_it()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in Sidecar.Types)
        {
            if (FolderOf(type) is not { } from)
            {
                continue;
            }

            if (!MayDependOn.TryGetValue(from, out var allowed))
            {
                violations.Add($"folder '{from}' ({type.FullName}) is not placed in the layering");
                continue;
            }

            foreach (var dependency in type.Dependencies)
            {
                if (FolderOf(dependency.Target) is { } to && to != from && !allowed.Contains(to))
                {
                    violations.Add($"{from} -> {to}: {type.FullName} uses {dependency.Target.FullName}");
                }
            }
        }

        Assert.True(violations.Count == 0, "Layering violations:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void No_two_folders_depend_on_each_other_even_indirectly()
    {
        SliceRuleDefinition.Slices().Matching("CacheSidecar.(*)").Should().BeFreeOfCycles().Check(Sidecar);
    }

    [Fact]
    public void Nothing_outside_the_cache_tier_and_the_composition_root_names_a_concrete_tier()
    {
        string[] concrete = [typeof(RedisCacheTier).FullName!, typeof(InMemoryCacheTier).FullName!];
        var users = Sidecar.Types
            .Where(type => FolderOf(type) is not ("CacheTier" or "Hosting"))
            .SelectMany(type => type.Dependencies
                .Where(d => concrete.Contains(d.Target.FullName))
                .Select(d => $"{type.FullName} uses {d.Target.FullName}"))
            .Distinct()
            .ToList();

        Assert.True(users.Count == 0, string.Join('\n', users));
    }

    [Fact]
    public void The_cache_tier_the_store_and_the_redis_connection_know_nothing_of_strategies()
    {
        var strategyAware = Sidecar.Types
            .Where(type => FolderOf(type) is "CacheTier" or "Store" or "Redis")
            .SelectMany(type => type.Dependencies
                .Where(d => d.Target.FullName == typeof(CacheStrategy).FullName)
                .Select(d => $"{type.FullName} uses {d.Target.FullName}"))
            .Distinct()
            .ToList();

        Assert.True(strategyAware.Count == 0, string.Join('\n', strategyAware));
    }

    /// <summary>The folder (second namespace segment) of one of the sidecar's own types; null for others.</summary>
    private static string? FolderOf(IType type)
    {
        const string Root = "CacheSidecar.";
        var ns = type.Namespace.FullName;
        if (!ns.StartsWith(Root, StringComparison.Ordinal) || ns.StartsWith("CacheSidecar.Contracts", StringComparison.Ordinal)
            || type.Assembly.FullName != Sidecar.Assemblies.First().FullName)
        {
            return null;
        }

        var rest = ns[Root.Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }
}
