using System.Collections.Concurrent;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Store;

/// <summary>
/// The embedded store used when no MongoDB is configured (§7): one SQLite file, one table per
/// namespace collection, the same version guards as the MongoDB store. Values are kept as the
/// caller's bytes (SQLite has no document type to gain from). A deleted key is a row with
/// <c>deleted = 1</c> that keeps its version until <c>purge_at</c>; <see cref="TombstoneSweeper"/>
/// removes it then (SQLite has no TTL index).
/// </summary>
internal sealed partial class SqliteRecordStore : IRecordStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Task> _tables = new(StringComparer.Ordinal);

    public SqliteRecordStore(IOptions<SidecarOptions> options, TimeProvider time)
    {
        _time = time;
        var path = Path.GetFullPath(options.Value.Embedded.SqlitePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 5 }
            .ToString();
        Description = $"embedded SQLite file '{path}'";
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        // WAL lets readers run beside the single writer; NORMAL sync is durable across a process crash.
        wal.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
        wal.ExecuteNonQuery();
    }

    public string Description { get; }

    public async Task<StoredRecord?> LoadAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var found = await LoadManyAsync(ns, [key], cancellationToken).ConfigureAwait(false);
        return found.TryGetValue(key, out var record) ? record : null;
    }

    public async Task<IReadOnlyDictionary<string, StoredRecord>> LoadManyAsync(NamespacePolicy ns,
        IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        // SQLite caps bound parameters; 500 per statement stays far below every build's limit.
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            await using var command = connection.CreateCommand();
            var names = chunk.Select((_, i) => "$k" + i).ToArray();
            command.CommandText = $"SELECT id, version, content_type, value, tags FROM {Table(ns)} "
                + $"WHERE deleted = 0 AND id IN ({string.Join(',', names)})";
            for (var i = 0; i < chunk.Length; i++)
            {
                command.Parameters.AddWithValue(names[i], chunk[i]);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result[reader.GetString(0)] = new StoredRecord(
                    (byte[])reader.GetValue(3),
                    reader.GetString(2),
                    reader.GetInt64(1),
                    Core.Tags.Split(reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        return result;
    }

    public async Task<long?> LoadVersionAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT version FROM {Table(ns)} WHERE id = $id";
        command.Parameters.AddWithValue("$id", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version
            ? version
            : null;
    }

    public async Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        var changed = await ExecuteAsync(
            ns,
            Upsert(ns) + $" WHERE excluded.version > {Table(ns)}.version",
            key,
            record,
            expectedVersion: null,
            cancellationToken).ConfigureAwait(false);
        return changed == 1 ? StoreWriteOutcome.Applied : StoreWriteOutcome.AlreadyNewer;
    }

    public async Task<StoreWriteOutcome> ReplaceIfVersionAsync(NamespacePolicy ns, string key, StoredRecord record,
        long expectedVersion, CancellationToken cancellationToken)
    {
        var changed = await ExecuteAsync(
            ns,
            $"UPDATE {Table(ns)} SET version = $version, content_type = $contentType, value = $value, tags = $tags "
                + "WHERE id = $id AND version = $expected AND deleted = 0",
            key,
            record,
            expectedVersion,
            cancellationToken).ConfigureAwait(false);
        return changed == 1 ? StoreWriteOutcome.Applied : StoreWriteOutcome.PreconditionFailed;
    }

    public async Task<DeleteOutcome> DeleteAsync(NamespacePolicy ns, string key, long tombstoneVersion,
        long? expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        if (expectedVersion is { } expected)
        {
            await using var ifMatch = connection.CreateCommand();
            ifMatch.CommandText = $"UPDATE {Table(ns)} SET version = $version, content_type = '', value = x'', "
                + "tags = NULL, deleted = 1, purge_at = $purgeAt "
                + "WHERE id = $id AND version = $expected AND deleted = 0";
            ifMatch.Parameters.AddWithValue("$id", key);
            ifMatch.Parameters.AddWithValue("$version", tombstoneVersion);
            ifMatch.Parameters.AddWithValue("$purgeAt", PurgeAtMs(ns));
            ifMatch.Parameters.AddWithValue("$expected", expected);
            return await Busy(() => ifMatch.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false) == 1
                ? DeleteOutcome.Removed
                : DeleteOutcome.PreconditionFailed;
        }

        // One statement that reports what it replaced: SQLite's RETURNING sees the new row, so the
        // old state is read first inside the same (immediate, i.e. write-locked) transaction.
        await using var transaction = (SqliteTransaction)await connection
            .BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken)
            .ConfigureAwait(false);
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"SELECT version, deleted FROM {Table(ns)} WHERE id = $id";
        read.Parameters.AddWithValue("$id", key);
        (long Version, bool Deleted)? before = null;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                before = (reader.GetInt64(0), reader.GetInt64(1) == 1);
            }
        }

        if (before is { } existing && existing.Version >= tombstoneVersion)
        {
            return DeleteOutcome.AlreadyNewer;
        }

        await using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = $"""
            INSERT INTO {Table(ns)} (id, version, content_type, value, deleted, purge_at)
            VALUES ($id, $version, '', x'', 1, $purgeAt)
            ON CONFLICT(id) DO UPDATE SET version = excluded.version, content_type = '', value = x'', tags = NULL,
                deleted = 1, purge_at = excluded.purge_at
            """;
        write.Parameters.AddWithValue("$id", key);
        write.Parameters.AddWithValue("$version", tombstoneVersion);
        write.Parameters.AddWithValue("$purgeAt", PurgeAtMs(ns));
        await Busy(() => write.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return before is { Deleted: false } ? DeleteOutcome.Removed : DeleteOutcome.WasAbsent;
    }

    public async Task<int> PurgeTombstonesAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            // Every namespace table in the file, also those this process has not opened yet.
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c!_%' ESCAPE '!'";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var purged = 0;
        foreach (var table in tables)
        {
            await EnsureTombstoneColumnsAsync(connection, $"\"{table}\"").ConfigureAwait(false);
            await using var purge = connection.CreateCommand();
            purge.CommandText = $"DELETE FROM \"{table}\" WHERE deleted = 1 AND purge_at <= $now";
            purge.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
            purged += await Busy(() => purge.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
        }

        return purged;
    }

    private long PurgeAtMs(NamespacePolicy ns) => (_time.GetUtcNow() + ns.TombstoneRetention).ToUnixTimeMilliseconds();

    public async Task<IReadOnlyList<MutationOutcome>> ApplyBatchAsync(NamespacePolicy ns,
        IReadOnlyList<StoreMutation> mutations, CancellationToken cancellationToken)
    {
        // SQLite is local and serialises writers anyway: one guarded statement per mutation.
        var outcomes = new MutationOutcome[mutations.Count];
        for (var i = 0; i < mutations.Count; i++)
        {
            var mutation = mutations[i];
            if (mutation.Record is { } record)
            {
                outcomes[i] = await UpsertIfNewerAsync(ns, mutation.Key, record, cancellationToken)
                        .ConfigureAwait(false) == StoreWriteOutcome.Applied
                    ? MutationOutcome.Applied
                    : MutationOutcome.AlreadyNewer;
            }
            else
            {
                outcomes[i] = await DeleteAsync(ns, mutation.Key, mutation.Version, null, cancellationToken)
                        .ConfigureAwait(false) == DeleteOutcome.AlreadyNewer
                    ? MutationOutcome.AlreadyNewer
                    : MutationOutcome.Applied;
            }
        }

        return outcomes;
    }

    private async Task<int> ExecuteAsync(NamespacePolicy ns, string sql, string key, StoredRecord? record,
        long? expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", key);
        if (record is not null)
        {
            command.Parameters.AddWithValue("$version", record.Version);
            command.Parameters.AddWithValue("$contentType", record.ContentType);
            command.Parameters.AddWithValue("$value", record.Value.ToArray());
            command.Parameters.AddWithValue("$tags", TagsColumn(record));
        }

        if (expectedVersion is { } expected)
        {
            command.Parameters.AddWithValue("$expected", expected);
        }

        return await Busy(() => command.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<T> Busy<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED
        {
            throw new StoreUnavailableException("The embedded store is busy.", ex);
        }
    }

    private async Task<SqliteConnection> OpenAsync(NamespacePolicy ns, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await _tables.GetOrAdd(ns.Collection!, _ => CreateTableAsync(connection, ns)).ConfigureAwait(false);
        return connection;
    }

    private static async Task CreateTableAsync(SqliteConnection connection, NamespacePolicy ns)
    {
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"CREATE TABLE IF NOT EXISTS {Table(ns)} "
                + "(id TEXT PRIMARY KEY, version INTEGER NOT NULL, content_type TEXT NOT NULL, value BLOB NOT NULL, "
                + "deleted INTEGER NOT NULL DEFAULT 0, purge_at INTEGER, tags TEXT)";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await EnsureTombstoneColumnsAsync(connection, Table(ns)).ConfigureAwait(false);
    }

    /// <summary>
    /// A file from an earlier version gains the columns added since: the tombstones' two (every row is live)
    /// and the tags (every row untagged).
    /// </summary>
    private static async Task EnsureTombstoneColumnsAsync(SqliteConnection connection, string table)
    {
        await AddColumnsIfMissingAsync(connection, table, "deleted",
            $"ALTER TABLE {table} ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0; "
            + $"ALTER TABLE {table} ADD COLUMN purge_at INTEGER").ConfigureAwait(false);
        await AddColumnsIfMissingAsync(connection, table, "tags", $"ALTER TABLE {table} ADD COLUMN tags TEXT")
            .ConfigureAwait(false);
    }

    private static async Task AddColumnsIfMissingAsync(SqliteConnection connection, string table, string column,
        string alterSql)
    {
        await using var columns = connection.CreateCommand();
        columns.CommandText = $"SELECT COUNT(*) FROM pragma_table_info({table.Replace('"', '\'')}) "
            + "WHERE name = $column";
        columns.Parameters.AddWithValue("$column", column);
        if ((long)(await columns.ExecuteScalarAsync().ConfigureAwait(false))! > 0)
        {
            return;
        }

        await using var alter = connection.CreateCommand();
        alter.CommandText = alterSql;
        await alter.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a live row over whatever the key holds; a caller may append a WHERE guard.</summary>
    private static string Upsert(NamespacePolicy ns) =>
        $"INSERT INTO {Table(ns)} (id, version, content_type, value, tags) "
        + "VALUES ($id, $version, $contentType, $value, $tags) "
        + "ON CONFLICT(id) DO UPDATE SET version = excluded.version, content_type = excluded.content_type, "
        + "value = excluded.value, tags = excluded.tags, deleted = 0, purge_at = NULL";

    /// <summary>The tags as the column holds them: '\n'-joined, NULL when untagged.</summary>
    private static object TagsColumn(StoredRecord record) =>
        record.Tags is { Count: > 0 } ? Core.Tags.Join(record.Tags) : DBNull.Value;

    // Collection names are validated to [A-Za-z0-9_.-] at start-up, so quoting is enough.
    private static string Table(NamespacePolicy ns) => $"\"c_{ns.Collection}\"";
}
