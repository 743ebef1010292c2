using System.Diagnostics;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// mongod's TTL monitor in small: every <see cref="Interval"/> (of <see cref="TimeProvider"/> time, so a
/// fake clock drives it too) it deletes the documents a TTL index has expired, each a <c>delete</c>
/// change event as on the real server. A pass runs under the store lock, like any command.
/// </summary>
internal sealed class TtlMonitor(InMemoryStore store, TimeProvider time)
{
    /// <summary>Ours is 1 s so tests need not wait; mongod's <c>ttlMonitorSleepSecs</c> is 60.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _intervalLock = new();
    private TimeSpan _interval = DefaultInterval;
    private TaskCompletionSource _intervalChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Time between passes; <see cref="Timeout.InfiniteTimeSpan"/> stops the background passes.</summary>
    public TimeSpan Interval
    {
        get
        {
            lock (_intervalLock)
            {
                return _interval;
            }
        }

        set
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(value), value, "must be positive or Timeout.InfiniteTimeSpan");
            }

            TaskCompletionSource changed;
            lock (_intervalLock)
            {
                _interval = value;
                changed = _intervalChanged;
                _intervalChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult(); // a waiting loop starts over with the new interval
        }
    }

    /// <summary>Deletes every expired document now; returns how many.</summary>
    public int RunPass()
    {
        lock (store.SyncRoot)
        {
            long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            int deleted = 0;
            foreach (string database in store.DatabaseNames.ToList())
            {
                foreach (CollectionData collection in store.Collections(database).Select(c => c.Value).ToList())
                {
                    foreach ((string path, double seconds) in TtlIndexes(collection))
                    {
                        foreach (BsonDocument document in collection.Candidates([]))
                        {
                            if (IsExpired(document, path, seconds, nowMs))
                            {
                                BsonValue id = document["_id"];
                                collection.Remove(id);
                                store.Changes.RecordDelete(collection, id);
                                deleted++;
                            }
                        }
                    }
                }
            }

            return deleted;
        }
    }

    /// <summary>Runs passes until <paramref name="stopping"/>; started and stopped with the server.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan interval;
            Task intervalChanged;
            lock (_intervalLock)
            {
                interval = _interval;
                intervalChanged = _intervalChanged.Task;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Task delay = Task.Delay(interval, time, wait.Token);
            Task first = await Task.WhenAny(delay, intervalChanged);
            await wait.CancelAsync();
            if (first != delay || !delay.IsCompletedSuccessfully)
            {
                continue; // new interval, or stopping
            }

            try
            {
                RunPass();
            }
            catch (Exception e)
            {
                // A bug here must not end the monitor silently for the rest of the run.
                Trace.TraceError($"MongoDB wire test server TTL pass failed: {e}");
            }
        }
    }

    /// <summary>
    /// Single-field indexes with <c>expireAfterSeconds</c>; like mongod, other indexes' option is ignored.
    /// </summary>
    private static List<(string Path, double Seconds)> TtlIndexes(CollectionData collection) =>
        collection.Indexes
            .Where(i => i.GetValue("expireAfterSeconds", null) is { IsNumeric: true }
                && i["key"] is BsonDocument { ElementCount: 1 })
            .Select(i => (i["key"].AsBsonDocument.GetElement(0).Name, i["expireAfterSeconds"].ToDouble()))
            .ToList();

    /// <summary>
    /// A date (the earliest, for an array of dates) at least <paramref name="seconds"/> old; anything else
    /// (a string, a number, no field) never expires, as in mongod.
    /// </summary>
    private static bool IsExpired(BsonDocument document, string path, double seconds, long nowMs)
    {
        long? earliest = QueryMatcher.PathValues(document, path)
            .OfType<BsonDateTime>()
            .Select(d => (long?)d.MillisecondsSinceEpoch)
            .Min();
        return earliest is { } dateMs && dateMs + (seconds * 1000) <= nowMs;
    }
}
