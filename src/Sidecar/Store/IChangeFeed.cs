using CacheSidecar.Configuration;

namespace CacheSidecar.Store;

/// <summary>
/// The committed changes of a namespace's collection, from a resume point on (MongoDB change streams).
/// </summary>
internal interface IChangeFeed
{
    /// <summary>
    /// Follows the collection's changes after <paramref name="resumeAfter"/> (or from now when
    /// null), one batch per round trip, until cancelled or the collection is replaced. Throws
    /// <see cref="ChangeHistoryLostException"/> when the resume point is no longer in the history,
    /// and <see cref="Core.StoreUnavailableException"/> when the store cannot be reached.
    /// </summary>
    IAsyncEnumerable<ChangeBatch> FollowAsync(
        NamespacePolicy ns, string? resumeAfter, CancellationToken cancellationToken);
}
