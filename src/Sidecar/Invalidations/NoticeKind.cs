namespace CacheSidecar.Invalidations;

/// <summary>
/// What an <see cref="InvalidationNotice"/> tells a watcher (the contract's <c>InvalidationEvent.Kind</c>).
/// </summary>
internal enum NoticeKind
{
    /// <summary>Every invalidation after the notice's sequence follows: caching may start.</summary>
    Synced,

    /// <summary>Drop the listed keys.</summary>
    Keys,

    /// <summary>Drop the whole namespace.</summary>
    Namespace,

    /// <summary>Drop every entry written with one of the listed tags.</summary>
    Tags,

    /// <summary>Invalidations may have been missed: drop everything and stop caching until the next Synced.</summary>
    Reset,
}
