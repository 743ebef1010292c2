using System.Globalization;
using System.Text;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// The Redis names of one measured point, built exactly as the sidecar builds them (src/Sidecar/Redis/
/// RedisKeyLayout.cs): per namespace the counter <c>&lt;prefix&gt;:{&lt;ns&gt;:l1}:seq</c> and the shard channel
/// <c>&lt;prefix&gt;:{&lt;ns&gt;:l1}:ch</c> in its slot, and the old deployment-wide classic channel
/// <c>&lt;prefix&gt;:l1</c>. Every point has a prefix of its own, so its counters start at 1 and a subscriber
/// can tell a lost message from the sequence alone.
/// </summary>
internal sealed class FanoutLayout
{
    public FanoutLayout(string prefix, int namespaces)
    {
        Prefix = prefix;
        Namespaces = Enumerable.Range(0, namespaces)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"ns{i:D2}")).ToArray();
        SequenceKeys = Namespaces.Select(ns => $"{prefix}:{{{ns}:l1}}:seq").ToArray();
        ShardChannels = Namespaces.Select(ns => $"{prefix}:{{{ns}:l1}}:ch").ToArray();
        ClassicChannel = prefix + ":l1";
        NamespaceBytes = Namespaces.Select(Encoding.UTF8.GetBytes).ToArray();
        ShardChannelBytes = ShardChannels.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public string Prefix { get; }

    public IReadOnlyList<string> Namespaces { get; }

    public IReadOnlyList<string> SequenceKeys { get; }

    public IReadOnlyList<string> ShardChannels { get; }

    public string ClassicChannel { get; }

    /// <summary>UTF-8 names, compared with a classic message's first line on the subscribers' hot path.</summary>
    public IReadOnlyList<byte[]> NamespaceBytes { get; }

    /// <summary>UTF-8 shard channels, compared with a sharded message's channel on the hot path.</summary>
    public IReadOnlyList<byte[]> ShardChannelBytes { get; }
}
