using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.Store;

/// <summary>The embedded SQLite store (a real file in a temp folder) keeps the same version guards.</summary>
public sealed class SqliteRecordStoreTests : IDisposable
{
    private static readonly NamespacePolicy Items = NamespacePolicy.From("i", new NamespaceOptions { Collection = "items" });
    private readonly string _directory = Directory.CreateTempSubdirectory("cachesidecar-sqlite-").FullName;
    private readonly SqliteRecordStore _store;

    public SqliteRecordStoreTests() =>
        _store = new SqliteRecordStore(Options.Create(new SidecarOptions { Embedded = new EmbeddedOptions { SqlitePath = Path.Combine(_directory, "store.db") } }));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Values_round_trip_and_guarded_writes_never_regress()
    {
        Assert.Equal(StoreWriteOutcome.Applied, await _store.UpsertIfNewerAsync(Items, "k", new StoredRecord("1"u8.ToArray(), "application/json", 5), default));
        Assert.Equal(StoreWriteOutcome.AlreadyNewer, await _store.UpsertIfNewerAsync(Items, "k", new StoredRecord("0"u8.ToArray(), "application/json", 4), default));
        Assert.Equal(StoreWriteOutcome.PreconditionFailed, await _store.ReplaceIfVersionAsync(Items, "k", new StoredRecord("2"u8.ToArray(), "text/plain", 6), 4, default));
        Assert.Equal(StoreWriteOutcome.Applied, await _store.ReplaceIfVersionAsync(Items, "k", new StoredRecord("2"u8.ToArray(), "text/plain", 6), 5, default));

        var loaded = await _store.LoadAsync(Items, "k", default);
        Assert.Equal("2", Encoding.UTF8.GetString(loaded!.Value.Span));
        Assert.Equal("text/plain", loaded.ContentType);
        Assert.Equal(6, loaded.Version);
        Assert.Single(await _store.LoadManyAsync(Items, ["k", "missing"], default));
        Assert.False(await _store.DeleteAsync(Items, "k", 5, default));
        Assert.True(await _store.DeleteAsync(Items, "k", null, default));
        Assert.Null(await _store.LoadAsync(Items, "k", default));
    }

    [Fact]
    public async Task Data_survives_a_new_store_instance_on_the_same_file()
    {
        await _store.UpsertIfNewerAsync(Items, "durable", new StoredRecord("1"u8.ToArray(), "application/json", 1), default);

        var reopened = new SqliteRecordStore(Options.Create(new SidecarOptions { Embedded = new EmbeddedOptions { SqlitePath = Path.Combine(_directory, "store.db") } }));

        Assert.NotNull(await reopened.LoadAsync(Items, "durable", default));
    }
}
