using System.Text;
using CacheSidecar.Configuration;
using StackExchange.Redis;

namespace CacheSidecar.Redis;

/// <summary>
/// Tag generations (<c>InvalidateTags</c>). Each tag of a namespace has one generation key in its own slot
/// (<see cref="RedisKeyLayout.TagGeneration"/>), so a tag invalidation is one step, O(1) however many
/// entries carry the tag, on any shard. A tagged entry records the generation each of its tags had when it
/// was written (<see cref="EntryHash.Tags"/>), and counts only while all of them are unchanged; an untagged
/// entry costs nothing extra. Reading the generations is one more pipelined round trip, for tagged entries only.
/// <para>
/// A missing key reads as "0". An invalidation sets the generation to max(Redis time in µs, current + 1),
/// and the key lives for the longest an entry of the namespace can (<see cref="Lifetime"/>): by the time
/// it expires, every entry that recorded it has expired too, and a later invalidation's time-based
/// generation differs from every generation recorded before.
/// </para>
/// </summary>
internal static class TagGenerations
{
    /// <summary>The generations of <paramref name="tags"/> now, as an entry records them ("" for none).</summary>
    public static async Task<string> SnapshotAsync(IDatabase db, NamespacePolicy ns, IReadOnlyList<string>? tags)
    {
        if (tags is not { Count: > 0 })
        {
            return string.Empty;
        }

        var reads = tags.Select(tag => db.StringGetAsync(RedisKeyLayout.TagGeneration(ns, tag))).ToArray();
        var snapshot = new StringBuilder();
        for (var i = 0; i < tags.Count; i++)
        {
            var generation = await reads[i].ConfigureAwait(false);
            snapshot.Append(i == 0 ? string.Empty : "\n").Append(tags[i]).Append('\n')
                .Append(generation.IsNull ? "0" : (string)generation!);
        }

        return snapshot.ToString();
    }

    /// <summary>Whether every tag of an entry's snapshot still has the generation recorded (one round trip).</summary>
    public static async Task<bool> AreCurrentAsync(IDatabase db, NamespacePolicy ns, string snapshot)
    {
        var parts = snapshot.Split('\n');
        var reads = new Task<RedisValue>[parts.Length / 2];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = db.StringGetAsync(RedisKeyLayout.TagGeneration(ns, parts[2 * i]));
        }

        var current = true;
        for (var i = 0; i < reads.Length; i++)
        {
            var generation = await reads[i].ConfigureAwait(false);
            current &= (generation.IsNull ? "0" : (string)generation!) == parts[(2 * i) + 1];
        }

        return current;
    }

    /// <summary>
    /// How long a tag's generation is kept after its last invalidation: at least as long as any entry of the
    /// namespace lives (the longest TTL, its jitter, the stale window), plus a minute.
    /// </summary>
    public static TimeSpan Lifetime(NamespacePolicy ns) =>
        ns.MaxTtl + ns.TtlJitter + ns.StaleWindow + TimeSpan.FromMinutes(1);
}
