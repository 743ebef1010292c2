namespace CacheSidecar.Invalidations;

/// <summary>
/// One event for the watchers of a namespace. Built once and shared by every watcher (read-only).
/// </summary>
/// <param name="Sequence">The namespace's invalidation sequence (0 for <see cref="NoticeKind.Reset"/>).</param>
/// <param name="Items">The keys or tags of a Keys or Tags notice; empty otherwise.</param>
internal sealed record InvalidationNotice(NoticeKind Kind, string Namespace, long Sequence, IReadOnlyList<string> Items)
{
    public static InvalidationNotice Synced(string ns, long sequence) => new(NoticeKind.Synced, ns, sequence, []);

    public static InvalidationNotice Reset(string ns) => new(NoticeKind.Reset, ns, 0, []);
}
