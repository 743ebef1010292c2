using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Store;

namespace CacheSidecar.Tests.Store;

/// <summary>
/// What every store promises about the cache-shaped API's writes (DESIGN §2), run against each store:
/// create-if-absent inserts only where no live value is, the atomic increment of a counter, and tags kept
/// with a value.
/// </summary>
internal static class StoreConditionalChecks
{
    private static StoredRecord Json(string value, long version, params string[] tags) =>
        new(Encoding.UTF8.GetBytes(value), ContentTypes.Json, version, tags.Length == 0 ? null : tags);

    public static async Task InsertIfAbsentAsync(IRecordStore store, NamespacePolicy ns, string prefix)
    {
        var key = prefix + "-create";
        Assert.Equal(StoreWriteOutcome.Applied, await store.InsertIfAbsentAsync(ns, key, Json("1", 10), default));
        Assert.Equal(StoreWriteOutcome.PreconditionFailed, await store.InsertIfAbsentAsync(ns, key, Json("2", 20), default));
        Assert.Equal("1", Encoding.UTF8.GetString((await store.LoadAsync(ns, key, default))!.Value.Span));

        // A tombstone is absent, but its version still guards: below it the insert must go higher.
        Assert.Equal(DeleteOutcome.Removed, await store.DeleteAsync(ns, key, 30, null, default));
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await store.InsertIfAbsentAsync(ns, key, Json("3", 25), default));
        Assert.Equal(StoreWriteOutcome.Applied, await store.InsertIfAbsentAsync(ns, key, Json("3", 31), default));
        Assert.Equal(31, (await store.LoadAsync(ns, key, default))!.Version);
    }

    public static async Task IncrementAsync(IRecordStore store, NamespacePolicy ns, string prefix)
    {
        var key = prefix + "-counter";
        Assert.Equal(IncrementStatus.Absent, (await store.IncrementAsync(ns, key, 1, default)).Status);

        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, key, Json("41", 100, "views"), default));
        var incremented = await store.IncrementAsync(ns, key, 1, default);
        Assert.Equal(new IncrementOutcome(IncrementStatus.Applied, 42, 101), incremented); // the next version
        var loaded = await store.LoadAsync(ns, key, default);
        Assert.Equal(("42", 101L), (Encoding.UTF8.GetString(loaded!.Value.Span), loaded.Version));
        Assert.Null(loaded.Tags); // a counter carries no tags

        Assert.Equal(IncrementStatus.Overflow, (await store.IncrementAsync(ns, key, long.MaxValue, default)).Status);
        Assert.Equal(101, (await store.LoadAsync(ns, key, default))!.Version);

        var text = prefix + "-text";
        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, text, Json("\"41\"", 100), default));
        Assert.Equal(IncrementStatus.NotACounter, (await store.IncrementAsync(ns, text, 1, default)).Status);
        var binary = prefix + "-binary";
        var bytes = new StoredRecord("41"u8.ToArray(), ContentTypes.OctetStream, 100);
        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, binary, bytes, default));
        Assert.Equal(IncrementStatus.NotACounter, (await store.IncrementAsync(ns, binary, 1, default)).Status);

        Assert.Equal(DeleteOutcome.Removed, await store.DeleteAsync(ns, key, 200, null, default));
        Assert.Equal(IncrementStatus.Absent, (await store.IncrementAsync(ns, key, 1, default)).Status);
    }

    public static async Task TagsAsync(IRecordStore store, NamespacePolicy ns, string prefix)
    {
        var key = prefix + "-tagged";
        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, key, Json("1", 10, "red", "blue"), default));
        Assert.Equal(["red", "blue"], (await store.LoadAsync(ns, key, default))!.Tags!);
        Assert.Equal(["red", "blue"], (await store.LoadManyAsync(ns, [key], default))[key].Tags!);

        Assert.Equal(StoreWriteOutcome.Applied, await store.UpsertIfNewerAsync(ns, key, Json("2", 20), default));
        Assert.Null((await store.LoadAsync(ns, key, default))!.Tags);
    }
}
