namespace CacheSidecar.Store;

/// <summary>
/// Changes read from the store's change stream in one round trip, and the token to resume after
/// them. An empty batch still carries a newer token (the stream moved on without touching the
/// collection).
/// </summary>
/// <param name="Changes">The key changes, in commit order.</param>
/// <param name="ResumeToken">Opaque; <see cref="IChangeFeed.FollowAsync"/> resumes after it.</param>
/// <param name="CollectionReplaced">
/// The collection was dropped or renamed: every cached key is suspect, and the stream ends.
/// </param>
internal sealed record ChangeBatch(IReadOnlyList<StoreChange> Changes, string? ResumeToken, bool CollectionReplaced);
