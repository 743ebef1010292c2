using System.Collections.Immutable;
using CacheSidecar.Configuration;

namespace CacheSidecar.Invalidations;

/// <summary>
/// One namespace's invalidations as this instance sees them: the sequence it has applied, whether it
/// can vouch that it receives every invalidation (<see cref="InSync"/>), and who is told: the
/// sidecar's own L1 (<see cref="INamespaceCopy"/>) and the <c>WatchInvalidations</c> streams.
/// <list type="bullet">
/// <item>A gap in the sequence means lost messages: the L1 is cleared and watchers get Reset + Synced.</item>
/// <item><see cref="Resync"/> compares with the counter the writers increment (a lost <i>last</i> message
/// shows no gap); a difference is handled like a gap.</item>
/// <item><see cref="Lose"/> (connection lost, check failed): the L1 stops serving and watchers get Reset,
/// until the next successful <see cref="Resync"/> sends Synced.</item>
/// </list>
/// One lock orders everything, so a watcher that attaches sees Synced or Reset before any later notice.
/// </summary>
internal sealed class NamespaceFeed(NamespacePolicy policy, INamespaceCopy? copy = null)
{
    private readonly Lock _lock = new();
    private ImmutableArray<InvalidationWatcher> _watchers = [];
    private long _applied = -1;
    private bool _inSync;

    public NamespacePolicy Policy { get; } = policy;

    public string Namespace => Policy.Name;

    /// <summary>The sidecar's own L1 of the namespace, if it has one.</summary>
    public INamespaceCopy? Copy { get; } = copy;

    /// <summary>True while this instance is known to receive every invalidation of the namespace.</summary>
    public bool InSync
    {
        get
        {
            lock (_lock)
            {
                return _inSync;
            }
        }
    }

    /// <summary>The sequence number applied last (-1 before the first).</summary>
    public long AppliedSequence
    {
        get
        {
            lock (_lock)
            {
                return _applied;
            }
        }
    }

    public int WatcherCount => _watchers.Length;

    /// <summary>Someone here needs the namespace's invalidations: an L1 or a watcher.</summary>
    public bool Followed => Copy is not null || !_watchers.IsEmpty;

    /// <summary>This instance's own write, before it is announced: its L1 must never serve the old value.</summary>
    public void DropHere(InvalidationChange change)
    {
        lock (_lock)
        {
            DropFromCopy(change);
        }
    }

    /// <summary>Applies invalidation <paramref name="sequence"/>. Returns true when it showed a gap.</summary>
    public bool Apply(long sequence, InvalidationChange change)
    {
        lock (_lock)
        {
            var gap = _applied >= 0 && sequence > _applied + 1;
            _applied = Math.Max(_applied, sequence);
            if (gap)
            {
                Copy?.DropAll(stopServing: false);
                if (_inSync)
                {
                    Notify(InvalidationNotice.Reset(Namespace));
                    Notify(InvalidationNotice.Synced(Namespace, sequence));
                }

                return true;
            }

            DropFromCopy(change);
            if (_inSync)
            {
                Notify(new InvalidationNotice(change.Kind, Namespace, sequence, change.Items));
            }

            return false;
        }
    }

    /// <summary>Applies the next invalidation of a feed that has no other writer (embedded mode).</summary>
    public void ApplyNext(InvalidationChange change)
    {
        lock (_lock)
        {
            Apply(Math.Max(_applied, 0) + 1, change);
        }
    }

    /// <summary>
    /// Compares with the writers' counter (read from Redis). Out of sync (at start, after a lost connection), the
    /// feed adopts the counter exactly, whatever it applied before: a Redis that lost the counter (a restart
    /// without persistence) starts again from 0, and the feed must follow it. In sync, only a counter ahead of the
    /// applied sequence means an invalidation was published but not applied here: everything is dropped. A counter
    /// behind it is the normal case of messages that arrived after the counter was read.
    /// Returns true when it had to drop.
    /// </summary>
    public bool Resync(long sequenceInRedis)
    {
        lock (_lock)
        {
            var wasInSync = _inSync;
            var behind = wasInSync ? _applied < sequenceInRedis : _applied != sequenceInRedis;
            if (behind || !wasInSync)
            {
                _applied = sequenceInRedis;
            }

            if (behind)
            {
                Copy?.DropAll(stopServing: false);
            }

            _inSync = true;
            Copy?.Resume();
            if (!wasInSync)
            {
                Notify(InvalidationNotice.Synced(Namespace, sequenceInRedis));
            }
            else if (behind)
            {
                Notify(InvalidationNotice.Reset(Namespace));
                Notify(InvalidationNotice.Synced(Namespace, sequenceInRedis));
            }

            return behind;
        }
    }

    /// <summary>Invalidations may be missed from now on. Returns true when the feed was in sync.</summary>
    public bool Lose()
    {
        lock (_lock)
        {
            var wasInSync = _inSync;
            _inSync = false;
            Copy?.DropAll(stopServing: true);
            if (wasInSync)
            {
                Notify(InvalidationNotice.Reset(Namespace));
            }

            return wasInSync;
        }
    }

    public void Add(InvalidationWatcher watcher)
    {
        lock (_lock)
        {
            _watchers = _watchers.Add(watcher);
            watcher.Offer(_inSync
                ? InvalidationNotice.Synced(Namespace, _applied)
                : InvalidationNotice.Reset(Namespace));
        }
    }

    public void Remove(InvalidationWatcher watcher)
    {
        lock (_lock)
        {
            _watchers = _watchers.Remove(watcher);
        }
    }

    private void DropFromCopy(InvalidationChange change)
    {
        if (change.Kind == NoticeKind.Keys)
        {
            Copy?.Drop(change.Items);
        }
        else
        {
            // The L1 does not index tags: a tag invalidation drops the namespace, coarse but never stale.
            Copy?.DropAll(stopServing: false);
        }
    }

    private void Notify(InvalidationNotice notice)
    {
        foreach (var watcher in _watchers)
        {
            watcher.Offer(notice);
        }
    }
}
