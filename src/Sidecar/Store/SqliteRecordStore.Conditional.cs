using CacheSidecar.Core;
using Microsoft.Data.Sqlite;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Store;

/// <summary>
/// The conditional writes of the cache-shaped API: create-if-absent and Increment, each a read and a
/// write inside one immediate (write-locked) transaction, so no other writer comes between.
/// </summary>
internal sealed partial class SqliteRecordStore
{
    public async Task<StoreWriteOutcome> InsertIfAbsentAsync(NamespacePolicy ns, string key, StoredRecord record,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginAsync(connection, cancellationToken).ConfigureAwait(false);
        var current = await ReadRowAsync(connection, transaction, ns, key, cancellationToken).ConfigureAwait(false);
        if (current is { Deleted: false })
        {
            return StoreWriteOutcome.PreconditionFailed;
        }

        if (current is { } tombstone && tombstone.Version >= record.Version)
        {
            return StoreWriteOutcome.AlreadyNewer;
        }

        await WriteRowAsync(connection, transaction, ns, key, record, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return StoreWriteOutcome.Applied;
    }

    public async Task<IncrementOutcome> IncrementAsync(NamespacePolicy ns, string key, long delta,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(ns, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginAsync(connection, cancellationToken).ConfigureAwait(false);
        var current = await ReadRowAsync(connection, transaction, ns, key, cancellationToken).ConfigureAwait(false);
        if (current is not { Deleted: false } row)
        {
            return new IncrementOutcome(IncrementStatus.Absent);
        }

        if (!Counter.TryParse(row.Value, row.ContentType, out var counter))
        {
            return new IncrementOutcome(IncrementStatus.NotACounter);
        }

        if (Counter.Add(counter, delta) is not { } sum)
        {
            return new IncrementOutcome(IncrementStatus.Overflow);
        }

        // The next version, as MongoDB's $inc of the version gives it: no concurrent increment ever retries.
        var record = new StoredRecord(Counter.Format(sum), row.ContentType, row.Version + 1);
        await WriteRowAsync(connection, transaction, ns, key, record, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new IncrementOutcome(IncrementStatus.Applied, sum, record.Version);
    }

    private static async Task<SqliteTransaction> BeginAsync(SqliteConnection connection,
        CancellationToken cancellationToken) =>
        (SqliteTransaction)await Busy(async () => await connection
                .BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken)
                .ConfigureAwait(false))
            .ConfigureAwait(false);

    private static async Task<(long Version, bool Deleted, string ContentType, byte[] Value)?> ReadRowAsync(
        SqliteConnection connection, SqliteTransaction transaction, NamespacePolicy ns, string key,
        CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"SELECT version, deleted, content_type, value FROM {Table(ns)} WHERE id = $id";
        read.Parameters.AddWithValue("$id", key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetInt64(0), reader.GetInt64(1) == 1, reader.GetString(2), (byte[])reader.GetValue(3))
            : null;
    }

    private static async Task WriteRowAsync(SqliteConnection connection, SqliteTransaction transaction,
        NamespacePolicy ns, string key, StoredRecord record, CancellationToken cancellationToken)
    {
        await using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = Upsert(ns);
        write.Parameters.AddWithValue("$id", key);
        write.Parameters.AddWithValue("$version", record.Version);
        write.Parameters.AddWithValue("$contentType", record.ContentType);
        write.Parameters.AddWithValue("$value", record.Value.ToArray());
        write.Parameters.AddWithValue("$tags", TagsColumn(record));
        await Busy(() => write.ExecuteNonQueryAsync(cancellationToken)).ConfigureAwait(false);
    }
}
