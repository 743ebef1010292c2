using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Store;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// Wraps the real store (over a real socket) to count calls and to open the exact timing
/// windows the strategy sentences are about: a loader paused between its read and its fill,
/// a slow store for deadline and stampede tests.
/// </summary>
internal sealed class InstrumentedStore(IRecordStore inner) : IRecordStore
{
    private int _loads;
    private int _loadManys;
    private int _writes;
    private int _cancelledLoads;
    private int _batchedMutations;
    private int _batches;

    public string Description => inner.Description;

    public int Loads => Volatile.Read(ref _loads);

    public int LoadManys => Volatile.Read(ref _loadManys);

    public int Writes => Volatile.Read(ref _writes);

    public int CancelledLoads => Volatile.Read(ref _cancelledLoads);

    /// <summary>Delay before each load reaches the store (observes the caller's cancellation).</summary>
    public TimeSpan LoadDelay { get; set; }

    /// <summary>Awaited after a load has read the store and before it returns its (possibly old) result.</summary>
    public Func<string, Task>? AfterLoadRead { get; set; }

    public async Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        await DelayAsync(cancellationToken);
        var record = await inner.LoadAsync(ns, key, cancellationToken);
        if (AfterLoadRead is { } hook)
        {
            await hook(key);
        }

        return record;
    }

    public async Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loadManys);
        await DelayAsync(cancellationToken);
        return await inner.LoadManyAsync(ns, keys, cancellationToken);
    }

    /// <summary>
    /// Awaited after a synchronous write took its version and before it reaches the store (opens
    /// the window in which a racing delete lands first).
    /// </summary>
    public Func<string, long, Task>? BeforeUpsert { get; set; }

    /// <summary>The versions synchronous upserts tried, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Key, long Version)> UpsertVersions { get; } = new();

    public async Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        UpsertVersions.Enqueue((key, record.Version));
        if (BeforeUpsert is { } hook)
        {
            await hook(key, record.Version);
        }

        var outcome = await inner.UpsertIfNewerAsync(ns, key, record, cancellationToken);
        if (outcome == StoreWriteOutcome.Applied && AfterUpsert is { } after)
        {
            await after(key, record.Version);
        }

        return outcome;
    }

    /// <summary>
    /// Awaited after a synchronous write reached the store and before the strategy's cache step
    /// (opens the window in which a newer write and an invalidation overtake that step).
    /// </summary>
    public Func<string, long, Task>? AfterUpsert { get; set; }

    public Task<long?> LoadVersionAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        inner.LoadVersionAsync(ns, key, cancellationToken);

    public Task<int> PurgeTombstonesAsync(CancellationToken cancellationToken) =>
        inner.PurgeTombstonesAsync(cancellationToken);

    public Task<StoreWriteOutcome> InsertIfAbsentAsync(NamespacePolicy ns, string key, StoredRecord record, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.InsertIfAbsentAsync(ns, key, record, cancellationToken);
    }

    public Task<IncrementOutcome> IncrementAsync(NamespacePolicy ns, string key, long delta, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.IncrementAsync(ns, key, delta, cancellationToken);
    }

    public Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record, long expectedVersion, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.ReplaceIfVersionAsync(ns, key, record, expectedVersion, cancellationToken);
    }

    public Task<DeleteOutcome> DeleteAsync(NamespacePolicy ns, string key, long tombstoneVersion, long? expectedVersion, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.DeleteAsync(ns, key, tombstoneVersion, expectedVersion, cancellationToken);
    }

    /// <summary>Mutations applied through <see cref="ApplyBatchAsync"/> (write-behind flushes), and the batches.</summary>
    public int BatchedMutations => Volatile.Read(ref _batchedMutations);

    public int Batches => Volatile.Read(ref _batches);

    /// <summary>Awaited before a flush batch reaches the store (lets a test hold a flusher mid-round).</summary>
    public Func<IReadOnlyList<StoreMutation>, Task>? BeforeBatch { get; set; }

    /// <summary>Every batch write (what write-behind flushes with) fails as an unreachable store would.</summary>
    public void FailBatches() => BeforeBatch = _ => throw new StoreUnavailableException("store down (test)");

    public async Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(NamespacePolicy ns, IReadOnlyList<StoreMutation> mutations, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedMutations, mutations.Count);
        if (BeforeBatch is { } hook)
        {
            await hook(mutations);
        }

        return await inner.ApplyBatchAsync(ns, mutations, cancellationToken);
    }

    private async Task DelayAsync(CancellationToken cancellationToken)
    {
        if (LoadDelay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(LoadDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelledLoads);
            throw;
        }
    }
}
