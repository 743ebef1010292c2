using System.Collections.Concurrent;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Store;

/// <summary>
/// The embedded store used when no MongoDB is configured (§7): one SQLite file, one table per
/// namespace collection, the same version guards as the MongoDB store. Values are kept as the
/// caller's bytes (SQLite has no document type to gain from).
/// </summary>
internal sealed class SqliteRecordStore : IRecordStore
{
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<string, Task> _tables = new(StringComparer.Ordinal);

    public SqliteRecordStore(IOptions<SidecarOptions> options)
    {
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
            command.CommandText = $"SELECT id, version, content_type, value FROM {Table(ns)} "
                + $"WHERE id IN ({string.Join(',', names)})";
            for (var i = 0; i < chunk.Length; i++)
            {
                command.Parameters.AddWithValue(names[i], chunk[i]);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result[reader.GetString(0)] =
                    new StoredRecord((byte[])reader.GetValue(3), reader.GetString(2), reader.GetInt64(1));
            }
        }

        return result;
    }

    public async Task<StoreWriteOutcome> UpsertIfNewerAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        var changed = await ExecuteAsync(
            ns,
            $"""
            INSERT INTO {Table(ns)} (id, version, content_type, value) VALUES ($id, $version, $contentType, $value)
            ON CONFLICT(id) DO UPDATE SET version = excluded.version, content_type = excluded.content_type,
                value = excluded.value
            WHERE excluded.version > {Table(ns)}.version
            """,
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
            $"UPDATE {Table(ns)} SET version = $version, content_type = $contentType, value = $value "
                + "WHERE id = $id AND version = $expected",
            key,
            record,
            expectedVersion,
            cancellationToken).ConfigureAwait(false);
        return changed == 1 ? StoreWriteOutcome.Applied : StoreWriteOutcome.PreconditionFailed;
    }

    public async Task<bool> DeleteAsync(NamespacePolicy ns, string key, long? expectedVersion,
        CancellationToken cancellationToken)
    {
        var sql = expectedVersion is null
            ? $"DELETE FROM {Table(ns)} WHERE id = $id"
            : $"DELETE FROM {Table(ns)} WHERE id = $id AND version = $expected";
        return await ExecuteAsync(ns, sql, key, record: null, expectedVersion, cancellationToken)
            .ConfigureAwait(false) == 1;
    }

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
                await ExecuteAsync(
                        ns,
                        $"DELETE FROM {Table(ns)} WHERE id = $id AND version < $expected",
                        mutation.Key,
                        record: null,
                        mutation.Version,
                        cancellationToken)
                    .ConfigureAwait(false);
                outcomes[i] = MutationOutcome.Applied;
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
        }

        if (expectedVersion is { } expected)
        {
            command.Parameters.AddWithValue("$expected", expected);
        }

        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {Table(ns)} "
            + "(id TEXT PRIMARY KEY, version INTEGER NOT NULL, content_type TEXT NOT NULL, value BLOB NOT NULL)";
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // Collection names are validated to [A-Za-z0-9_.-] at start-up, so quoting is enough.
    private static string Table(NamespacePolicy ns) => $"\"c_{ns.Collection}\"";
}
