namespace CacheSidecar.Invalidations;

/// <summary>
/// A copy of a namespace's values kept beside the cache tier (the sidecar's own L1), told by its
/// <see cref="NamespaceFeed"/> what to drop. Called under the feed's lock, so calls arrive in order.
/// </summary>
internal interface INamespaceCopy
{
    /// <summary>Drops these keys.</summary>
    void Drop(IReadOnlyList<string> keys);

    /// <summary>
    /// Drops everything; with <paramref name="stopServing"/>, also serves nothing until <see cref="Resume"/>.
    /// </summary>
    void DropAll(bool stopServing);

    /// <summary>Every invalidation now arrives: serving may start again.</summary>
    void Resume();
}
