using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// Every committed write of every collection, in one global sequence: the test server's oplog, read
/// by change streams. Bounded by <see cref="Capacity"/> (oldest dropped). Like the data it lives in
/// <see cref="InMemoryStore"/>, so it survives <c>StopAsync</c>/<c>StartAsync</c>, and it is guarded by
/// the store lock: the dispatcher records under the same lock that applies the write.
/// </summary>
internal sealed class ChangeHistory(TimeProvider time)
{
    public const int DefaultCapacity = 100_000;

    // Only the front is ever removed, so a list with a moving head is a queue that can also be
    // indexed: retained sequences are contiguous, and event n sits at _head + (n - first).
    private readonly List<ChangeEvent?> _events = [];
    private int _head;
    private int _capacity = DefaultCapacity;
    private TaskCompletionSource? _changed;
    private long _lastSeconds;
    private int _lastIncrement;

    /// <summary>Tells tokens of this server apart from those of another instance.</summary>
    public uint Instance { get; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);

    /// <summary>The newest sequence number handed out; 0 before the first event.</summary>
    public long LastSequence { get; private set; }

    public int Count => _events.Count - _head;

    /// <summary>Sequence of the oldest retained event; <see cref="LastSequence"/> + 1 when none is retained.</summary>
    public long FirstRetainedSequence => Count > 0 ? _events[_head]!.Sequence : LastSequence + 1;

    /// <summary>Cluster time of the newest event dropped from the history, for <c>startAtOperationTime</c>.</summary>
    public BsonTimestamp? NewestLostClusterTime { get; private set; }

    /// <summary>Completes at the next recorded event (continuations run off the lock). Read under the lock.</summary>
    public Task Changed =>
        (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public int Capacity
    {
        get => _capacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _capacity = value;
            Trim();
        }
    }

    /// <summary>
    /// A stream can resume from <paramref name="sequence"/> while every event after it is retained. A
    /// token at the newest point stays resumable even after <see cref="Forget"/>, as on a real server,
    /// whose oplog only rolls over because newer entries push the old ones out.
    /// </summary>
    public bool IsResumable(long sequence) => sequence >= FirstRetainedSequence - 1;

    /// <summary>Retained events with a sequence greater than <paramref name="sequence"/>, oldest first.</summary>
    public IEnumerable<ChangeEvent> After(long sequence)
    {
        long first = FirstRetainedSequence;
        for (long offset = Math.Max(0, sequence + 1 - first); offset < Count; offset++)
        {
            yield return _events[_head + (int)offset]!;
        }
    }

    public void RecordInsert(CollectionData collection, BsonDocument document) =>
        Append("insert", collection.Database, collection.Name, document["_id"], document, null);

    public void RecordReplace(CollectionData collection, BsonDocument document) =>
        Append("replace", collection.Database, collection.Name, document["_id"], document, null);

    public void RecordUpdate(CollectionData collection, BsonDocument before, BsonDocument after, BsonDocument update) =>
        Append("update", collection.Database, collection.Name, after["_id"], null,
            UpdateDescriptions.Describe(before, after, update));

    public void RecordDelete(CollectionData collection, BsonValue id) =>
        Append("delete", collection.Database, collection.Name, id, null, null);

    /// <summary>A dropped collection ends its change streams: <c>drop</c>, then <c>invalidate</c>.</summary>
    public void RecordDrop(string database, string collection)
    {
        Append("drop", database, collection, null, null, null);
        Append("invalidate", database, collection, null, null, null);
    }

    /// <summary>Drops every retained event, as if the oplog had rolled over.</summary>
    public void Forget()
    {
        if (Count > 0)
        {
            NewestLostClusterTime = _events[^1]!.ClusterTime;
        }

        _events.Clear();
        _head = 0;
    }

    private void Append(
        string operationType,
        string database,
        string collection,
        BsonValue? id,
        BsonDocument? full,
        BsonDocument? update)
    {
        DateTimeOffset now = time.GetUtcNow();
        _events.Add(new ChangeEvent(++LastSequence, operationType, database, collection,
            NextClusterTime(now), new BsonDateTime(now.ToUnixTimeMilliseconds()), id, full, update));
        Trim();

        // Created only when a getMore waits, so writes nobody watches allocate no signal.
        _changed?.TrySetResult();
        _changed = null;
    }

    /// <summary>Cluster times are unique and increasing, even when the clock stands still (fake time) or steps back.
    /// </summary>
    private BsonTimestamp NextClusterTime(DateTimeOffset now)
    {
        long seconds = Math.Max(now.ToUnixTimeSeconds(), _lastSeconds);
        _lastIncrement = seconds == _lastSeconds ? _lastIncrement + 1 : 1;
        _lastSeconds = seconds;
        return new BsonTimestamp((int)seconds, _lastIncrement);
    }

    private void Trim()
    {
        while (Count > _capacity)
        {
            NewestLostClusterTime = _events[_head]!.ClusterTime;
            _events[_head++] = null;
        }

        // Compact now and then, so dropping the oldest stays O(1) amortised.
        if (_head > 1024 && _head * 2 > _events.Count)
        {
            _events.RemoveRange(0, _head);
            _head = 0;
        }
    }
}
