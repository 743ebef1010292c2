using System.Diagnostics;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Telemetry;

namespace CacheSidecar.Store;

/// <summary>Times every store call (<c>cachesidecar.store.duration</c>) around the real store.</summary>
internal sealed class MeteredRecordStore(IRecordStore inner, SidecarMetrics metrics) : IRecordStore
{
    public string Description => inner.Description;

    public Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        Time("load", () => inner.LoadAsync(ns, key, cancellationToken));

    public Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns,
        IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        Time("load_many", () => inner.LoadManyAsync(ns, keys, cancellationToken));

    public Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken) =>
        Time("upsert", () => inner.UpsertIfNewerAsync(ns, key, record, cancellationToken));

    public Task<StoreWriteOutcome> InsertIfAbsentAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken) =>
        Time("insert", () => inner.InsertIfAbsentAsync(ns, key, record, cancellationToken));

    public Task<IncrementOutcome> IncrementAsync(NamespacePolicy ns, string key, long delta,
        CancellationToken cancellationToken) =>
        Time("increment", () => inner.IncrementAsync(ns, key, delta, cancellationToken));

    public Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record,
        long expectedVersion, CancellationToken cancellationToken) =>
        Time("replace", () => inner.ReplaceIfVersionAsync(ns, key, record, expectedVersion, cancellationToken));

    public Task<long?> LoadVersionAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        Time("load_version", () => inner.LoadVersionAsync(ns, key, cancellationToken));

    public Task<DeleteOutcome> DeleteAsync(NamespacePolicy ns, string key, long tombstoneVersion,
        long? expectedVersion, CancellationToken cancellationToken) =>
        Time("delete", () => inner.DeleteAsync(ns, key, tombstoneVersion, expectedVersion, cancellationToken));

    public Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(NamespacePolicy ns,
        IReadOnlyList<StoreMutation> mutations, CancellationToken cancellationToken) =>
        Time("bulk_write", () => inner.ApplyBatchAsync(ns, mutations, cancellationToken));

    public Task<int> PurgeTombstonesAsync(CancellationToken cancellationToken) =>
        Time("purge_tombstones", () => inner.PurgeTombstonesAsync(cancellationToken));

    private async Task<T> Time<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            var result = await call().ConfigureAwait(false);
            ok = true;
            return result;
        }
        finally
        {
            metrics.StoreCall(operation, ok, Stopwatch.GetElapsedTime(started));
        }
    }
}
