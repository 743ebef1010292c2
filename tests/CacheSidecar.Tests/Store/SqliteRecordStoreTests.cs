using System.Globalization;
using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CacheSidecar.Tests.Store;

/// <summary>The embedded SQLite store (a real file in a temp folder) keeps the same version guards.</summary>
public sealed class SqliteRecordStoreTests : IDisposable
{
    private static readonly NamespacePolicy Items = NamespacePolicy.From("i", new NamespaceOptions { Collection = "items" });
    private readonly string _directory = Directory.CreateTempSubdirectory("cachesidecar-sqlite-").FullName;
    private readonly SqliteRecordStore _store;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z", CultureInfo.InvariantCulture));

    public SqliteRecordStoreTests() => _store = Open();

    private SqliteRecordStore Open() =>
        new(Options.Create(new SidecarOptions { Embedded = new EmbeddedOptions { SqlitePath = Path.Combine(_directory, "store.db") } }), _time);

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
        Assert.Equal(DeleteOutcome.PreconditionFailed, await _store.DeleteAsync(Items, "k", 7, 5, default));
        Assert.Equal(DeleteOutcome.Removed, await _store.DeleteAsync(Items, "k", 7, null, default));
        Assert.Null(await _store.LoadAsync(Items, "k", default));
    }

    [Fact]
    public async Task Create_if_absent_inserts_only_where_no_live_value_is() =>
        await StoreConditionalChecks.InsertIfAbsentAsync(_store, Items, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_counter_is_incremented_atomically_to_the_next_version() =>
        await StoreConditionalChecks.IncrementAsync(_store, Items, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tags_are_kept_with_the_value() =>
        await StoreConditionalChecks.TagsAsync(_store, Items, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tombstones_keep_the_delete_version_read_as_absent_and_refuse_older_writes() =>
        await StoreTombstoneChecks.RunAsync(_store, Items, "tomb");

    [Fact]
    public async Task The_sweeper_purges_a_tombstone_only_after_the_namespace_retention()
    {
        var ns = NamespacePolicy.From("r", new NamespaceOptions { Collection = "retained", TombstoneRetention = TimeSpan.FromHours(2) });
        Assert.Equal(DeleteOutcome.WasAbsent, await _store.DeleteAsync(ns, "gone", 50, null, default));

        _time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await _store.PurgeTombstonesAsync(default));
        Assert.Equal(50, await _store.LoadVersionAsync(ns, "gone", default));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _store.PurgeTombstonesAsync(default));
        Assert.Null(await _store.LoadVersionAsync(ns, "gone", default));
    }

    [Fact]
    public async Task The_sweeper_also_purges_tables_this_process_has_not_opened()
    {
        var ns = NamespacePolicy.From("r", new NamespaceOptions { Collection = "elsewhere", TombstoneRetention = TimeSpan.FromMinutes(1) });
        await _store.DeleteAsync(ns, "gone", 5, null, default);
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await Open().PurgeTombstonesAsync(default));
    }

    [Fact]
    public async Task A_file_written_before_tombstones_is_migrated_and_keeps_its_values()
    {
        var path = Path.Combine(_directory, "store.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE "c_legacy" (id TEXT PRIMARY KEY, version INTEGER NOT NULL, content_type TEXT NOT NULL, value BLOB NOT NULL);
                INSERT INTO "c_legacy" VALUES ('old', 3, 'application/json', CAST('1' AS BLOB));
                """;
            command.ExecuteNonQuery();
        }

        var ns = NamespacePolicy.From("l", new NamespaceOptions { Collection = "legacy" });
        var store = Open();
        Assert.Equal(3, (await store.LoadAsync(ns, "old", default))!.Version);
        Assert.Equal(DeleteOutcome.Removed, await store.DeleteAsync(ns, "old", 4, null, default));
        Assert.Null(await store.LoadAsync(ns, "old", default));
    }

    [Fact]
    public async Task Data_survives_a_new_store_instance_on_the_same_file()
    {
        await _store.UpsertIfNewerAsync(Items, "durable", new StoredRecord("1"u8.ToArray(), "application/json", 1), default);

        var reopened = Open();

        Assert.NotNull(await reopened.LoadAsync(Items, "durable", default));
    }
}
