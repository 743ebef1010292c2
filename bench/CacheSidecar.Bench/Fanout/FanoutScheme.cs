namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// How invalidations reach the instances. <see cref="Classic"/> is the scheme before per-namespace channels;
/// the sharded ones are the current sidecar's, with a realistic subset of namespaces followed per instance
/// and with the worst case of every instance following every namespace.
/// </summary>
/// <param name="Name">Short name for the table, the plot and stdout.</param>
/// <param name="Sharded">SPUBLISH/SSUBSCRIBE on per-namespace channels, else PUBLISH/SUBSCRIBE on one channel.</param>
/// <param name="FollowsAll">Every instance follows every namespace.</param>
internal sealed record FanoutScheme(string Name, bool Sharded, bool FollowsAll)
{
    /// <summary>
    /// Before: one deployment-wide classic channel; an instance follows a few namespaces but receives (and
    /// drops) every namespace's messages.
    /// </summary>
    public static readonly FanoutScheme Classic = new("classic, one channel", Sharded: false, FollowsAll: false);

    /// <summary>Now: sharded per-namespace channels, each instance subscribed to the namespaces it follows.</summary>
    public static readonly FanoutScheme ShardedSubset = new("sharded, followed only", Sharded: true, FollowsAll: false);

    /// <summary>Now, worst case: every instance follows (so subscribes to) every namespace.</summary>
    public static readonly FanoutScheme ShardedAll = new("sharded, all followed", Sharded: true, FollowsAll: true);

    public static IReadOnlyList<FanoutScheme> All { get; } = [Classic, ShardedSubset, ShardedAll];

    /// <summary>
    /// The namespaces whose messages instance <paramref name="instance"/> receives: all of them on the classic
    /// channel or when it follows all, else <paramref name="follow"/>
    /// consecutive ones starting at <c>instance × follow</c>, so every namespace has the same number of followers
    /// (± 1) and the fan-out per message is the same whichever namespace it is for.
    /// </summary>
    public int[] Subscriptions(int instance, int namespaces, int follow) =>
        !Sharded || FollowsAll
            ? Enumerable.Range(0, namespaces).ToArray()
            : Enumerable.Range(0, follow).Select(j => ((instance * follow) + j) % namespaces).ToArray();
}
