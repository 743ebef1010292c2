using System.IO.Hashing;
using System.Text;

namespace CacheSidecar.Configuration;

/// <summary>
/// The resolved, validated policy of one namespace: its configured <see cref="NamespaceOptions"/>
/// (every setting with its value or default) plus its name and the deployment's key prefix.
/// Immutable: a hot reload swaps whole policies, so a call keeps the policy it started with.
/// </summary>
public sealed record NamespacePolicy : NamespaceOptions
{
    private NamespacePolicy(string name, NamespaceOptions options, string keyPrefix)
        : base(options)
    {
        Name = name;
        KeyPrefix = keyPrefix;
        Collection = string.IsNullOrWhiteSpace(options.Collection) ? null : options.Collection;
    }

    public string Name { get; }

    /// <summary>The deployment's Redis key prefix (<c>Sidecar:Redis:KeyPrefix</c>).</summary>
    [RequiresRestart]
    public string KeyPrefix { get; }

    /// <summary>True when the namespace has a store behind it; false for a pure cache.</summary>
    public bool HasStore => Collection is not null;

    /// <summary>
    /// True when every write is announced to other instances and watchers: asked for, or needed by the L1.
    /// </summary>
    public bool PublishesInvalidations => PublishInvalidations || NearCache.Enabled;

    /// <summary>
    /// The partition of <paramref name="key"/>: xxHash32 of its UTF-8 bytes mod
    /// <see cref="NamespaceOptions.Partitions"/>. Generations (whole-namespace invalidation) and, over
    /// Redis, hash tags are per partition.
    /// </summary>
    public int PartitionOf(string key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        Span<byte> buffer = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(key, buffer);
        return (int)(XxHash32.HashToUInt32(buffer) % (uint)Partitions);
    }

    /// <summary>The policy of namespace <paramref name="name"/> configured with <paramref name="options"/>.</summary>
    public static NamespacePolicy From(string name, NamespaceOptions options, string keyPrefix = "cs") =>
        new(name, options, keyPrefix);
}
