using System.Threading.Channels;

namespace CacheSidecar.Invalidations;

/// <summary>
/// One <c>WatchInvalidations</c> stream's queue of notices, fed by the <see cref="NamespaceFeed"/>s it
/// watches. Offering never blocks the feed (it runs on Redis's message thread): a watcher whose caller
/// reads too slowly to keep <see cref="Capacity"/> notices in hand is ended instead (<see cref="FellBehind"/>),
/// and its caller, told so, clears and reconnects.
/// </summary>
internal sealed class InvalidationWatcher
{
    /// <summary>Notices a watcher may have queued before it counts as fallen behind.</summary>
    public const int Capacity = 4096;

    private readonly Channel<InvalidationNotice> _notices = Channel.CreateBounded<InvalidationNotice>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private volatile bool _fellBehind;

    public ChannelReader<InvalidationNotice> Notices => _notices.Reader;

    /// <summary>True once a notice could not be queued: the stream must end, it has lost an invalidation.</summary>
    public bool FellBehind => _fellBehind;

    public void Offer(InvalidationNotice notice)
    {
        if (!_notices.Writer.TryWrite(notice))
        {
            _fellBehind = true;
            _notices.Writer.TryComplete();
        }
    }
}
