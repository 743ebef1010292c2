using CacheSidecar.Invalidations;
using StackExchange.Redis;

namespace CacheSidecar.NearCache;

/// <summary>
/// Increments a namespace's invalidation sequence and publishes the invalidation in one step, so the
/// counter never runs ahead of (or behind) the messages: Redis runs scripts one at a time, so
/// messages go out in counter order. The message is <c>&lt;sequence&gt;\n&lt;kind&gt;</c> followed by
/// <c>\n&lt;item&gt;</c> per key or tag (keys and tags cannot contain control characters: validated).
/// </summary>
internal static class PublishInvalidationScript
{
    // KEYS: the namespace's sequence counter. ARGV: its channel (same slot: SPUBLISH may run in the
    // script on a cluster), the kind and items payload.
    private const string Text = """
        local seq = redis.call('INCR', KEYS[1])
        redis.call('SPUBLISH', ARGV[1], seq .. ARGV[2])
        return seq
        """;

    /// <returns>The sequence number of the published message.</returns>
    public static async Task<long> RunAsync(IDatabase db, RedisKey sequence, RedisChannel channel,
        InvalidationChange change) =>
        (long)await db.ScriptEvaluateAsync(Text, [sequence], [channel.ToString(), Payload(change)])
            .ConfigureAwait(false);

    /// <summary>Reads a message back; false for anything this version does not understand.</summary>
    public static bool TryParse(string message, out long sequence, out InvalidationChange change)
    {
        var parts = message.Split('\n');
        change = default;
        if (parts.Length < 2 || !long.TryParse(parts[0], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out sequence))
        {
            sequence = 0;
            return false;
        }

        string[] items = parts.Length > 2 ? parts[2..] : [];
        change = parts[1] switch
        {
            "k" => InvalidationChange.OfKeys(items),
            "t" => InvalidationChange.OfTags(items),
            _ => InvalidationChange.WholeNamespace,
        };
        return true;
    }

    private static string Payload(InvalidationChange change) => change.Kind switch
    {
        NoticeKind.Keys => "\nk" + string.Concat(change.Items.Select(key => "\n" + key)),
        NoticeKind.Tags => "\nt" + string.Concat(change.Items.Select(tag => "\n" + tag)),
        _ => "\nn",
    };
}
