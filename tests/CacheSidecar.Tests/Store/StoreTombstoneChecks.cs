using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Store;

namespace CacheSidecar.Tests.Store;

/// <summary>
/// What every store promises about deletes (DESIGN §4, "Versions"), run against each store: a
/// delete leaves a tombstone that keeps its version, reads treat it as absent, and no write older
/// than it can land afterwards (a Put that took its version before a racing Delete, a frozen flusher).
/// </summary>
internal static class StoreTombstoneChecks
{
    private static StoredRecord Json(string value, long version) => new(Encoding.UTF8.GetBytes(value), "application/json", version);

    public static async Task RunAsync(IRecordStore store, NamespacePolicy ns, string prefix)
    {
        var key = prefix + "-a";
        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, key, Json("1", 10), default));
        Assert.Equal(DeleteOutcome.Removed, await store.DeleteAsync(ns, key, 20, null, default));

        // Absent to every read, present to the version guard.
        Assert.Null(await store.LoadAsync(ns, key, default));
        Assert.Empty(await store.LoadManyAsync(ns, [key], default));
        Assert.Equal(20, await store.LoadVersionAsync(ns, key, default));

        // A write that took its version before the delete cannot land after it.
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await store.UpsertIfNewerAsync(ns, key, Json("2", 15), default));
        Assert.Equal(StoreWriteOutcome.PreconditionFailed, await store.ReplaceIfVersionAsync(ns, key, Json("2", 25), 20, default));
        Assert.Equal(DeleteOutcome.PreconditionFailed, await store.DeleteAsync(ns, key, 25, 20, default));
        Assert.Equal(DeleteOutcome.AlreadyNewer, await store.DeleteAsync(ns, key, 19, null, default));
        Assert.Equal(DeleteOutcome.WasAbsent, await store.DeleteAsync(ns, key, 21, null, default));
        Assert.Null(await store.LoadAsync(ns, key, default));

        // A newer write brings the key back.
        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, key, Json("3", 30), default));
        Assert.Equal(30, (await store.LoadAsync(ns, key, default))!.Version);

        // A key that never existed still records its delete's version.
        var never = prefix + "-never";
        Assert.Equal(DeleteOutcome.WasAbsent, await store.DeleteAsync(ns, never, 40, null, default));
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await store.UpsertIfNewerAsync(ns, never, Json("\"late\"", 39), default));
        Assert.Null(await store.LoadAsync(ns, never, default));

        // Write-behind batches: a flusher that wakes with an older value after a newer delete.
        var flushed = prefix + "-flushed";
        var first = await store.ApplyBatchAsync(ns, [new StoreMutation(flushed, 50, Json("4", 50)), new StoreMutation(flushed + "-x", 60, null)], default);
        Assert.All(first, outcome => Assert.Equal(MutationStatus.Applied, outcome.Status));
        Assert.Equal(MutationStatus.Applied, (await store.ApplyBatchAsync(ns, [new StoreMutation(flushed, 70, null)], default))[0].Status);
        var late = await store.ApplyBatchAsync(ns, [new StoreMutation(flushed, 50, Json("4", 50)), new StoreMutation(flushed + "-x", 55, Json("5", 55))], default);
        Assert.All(late, outcome => Assert.Equal(MutationStatus.AlreadyNewer, outcome.Status));
        Assert.Null(await store.LoadAsync(ns, flushed, default));
        Assert.Null(await store.LoadAsync(ns, flushed + "-x", default));
        Assert.Equal(70, await store.LoadVersionAsync(ns, flushed, default));
    }
}
