using System.Globalization;
using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Write-behind's durable log in Redis: per partition the keys' entries, each a pending record until its
/// flush (decision 0019), and a stream of writes read by the consumer group <see cref="Group"/>. Every call goes through the
/// <see cref="RedisConnection"/>'s circuit breaker, so a Redis outage surfaces as
/// <see cref="CacheUnavailableException"/>.
/// </summary>
internal sealed class RedisWriteBehindLog(RedisConnection redis, ICacheTier cache, TimeProvider time)
{
    public const string Group = "flushers";

    public RedisConnection Connection => redis;

    public Task<EnqueueResult> EnqueueAsync(NamespacePolicy ns, WriteBehindWrite write,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => write.IncrementBy is null
                ? await EnqueueScript.RunAsync(
                        db, RedisKeyLayout.For(ns, write.Key), write, PartitionCapacity(ns),
                        await TagGenerations.SnapshotAsync(db, ns, write.Tags).ConfigureAwait(false))
                    .ConfigureAwait(false)
                : await EnqueueIncrementScript.RunAsync(
                        db, RedisKeyLayout.For(ns, write.Key), write, PartitionCapacity(ns))
                    .ConfigureAwait(false),
            cancellationToken);

    /// <summary>Redis <c>WAIT</c> on the shard that holds the key; returns how many replicas confirmed.</summary>
    public Task<long> WaitForReplicasAsync(NamespacePolicy ns, string key, int replicas, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db =>
            {
                // WAIT has no key to route by: send it to the endpoint that owns the key's slot,
                // on the same multiplexed connection that carried the write.
                var endpoint = await db.IdentifyEndpointAsync(RedisKeyLayout.For(ns, key).Log).ConfigureAwait(false);
                var server = redis.Server(endpoint!);
                var confirmed = await server.ExecuteAsync("WAIT", replicas, (long)timeout.TotalMilliseconds)
                    .ConfigureAwait(false);
                return (long)confirmed;
            },
            cancellationToken);

    /// <summary>
    /// Creates the consumer group on every partition log (from the start, so no entry written before is skipped).
    /// </summary>
    public Task EnsureGroupsAsync(NamespacePolicy ns, CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db =>
            {
                await Task.WhenAll(Enumerable.Range(0, ns.Partitions).Select(p => CreateGroupAsync(db, ns, p)))
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Reads entries for <paramref name="consumer"/>: new ones, or (<paramref name="ownPending"/>)
    /// those it already holds unacknowledged.
    /// </summary>
    public Task<LogEntry[]> ReadAsync(NamespacePolicy ns, int partition, string consumer, bool ownPending, int count,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            db => RecreatingGroupAsync(db, ns, partition, async () =>
                ToEntries(await db.StreamReadGroupAsync(
                        RedisKeyLayout.Log(ns, partition),
                        Group,
                        consumer,
                        ownPending ? "0-0" : StreamPosition.NewMessages,
                        count)
                    .ConfigureAwait(false))),
            cancellationToken);

    /// <summary>
    /// Takes over entries another consumer has left unacknowledged for longer than
    /// <paramref name="minIdle"/> (a dead or stuck flusher).
    /// </summary>
    public Task<LogEntry[]> ReclaimAsync(NamespacePolicy ns, int partition, string consumer, TimeSpan minIdle,
        int count, CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            db => RecreatingGroupAsync(db, ns, partition, async () =>
            {
                var result = await db.StreamAutoClaimAsync(
                        RedisKeyLayout.Log(ns, partition),
                        Group,
                        consumer,
                        (long)minIdle.TotalMilliseconds,
                        "0-0",
                        count)
                    .ConfigureAwait(false);
                return ToEntries(result.ClaimedEntries);
            }),
            cancellationToken);

    public Task<ClaimResult[]> ClaimAsync(NamespacePolicy ns, int partition, string consumer,
        IReadOnlyList<string> keys, TimeSpan claimTimeout, CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            db => ClaimScript.RunAsync(db, ns, partition, consumer, keys, claimTimeout),
            cancellationToken);

    /// <summary>
    /// Ends the pending state of the entries whose flushed version is unchanged (they get their expiry
    /// back), releases the other claims, and acknowledges (then deletes) the given log entries.
    /// </summary>
    public Task<long> CompleteAsync(NamespacePolicy ns, int partition, string consumer,
        IReadOnlyList<(string Key, string? FlushedVersion)> keys, IReadOnlyList<RedisValue> ackIds,
        CancellationToken cancellationToken)
    {
        if (keys.Count == 0 && ackIds.Count == 0)
        {
            return Task.FromResult(0L);
        }

        return redis.ExecuteAsync(
            db => CompleteScript.RunAsync(db, ns, partition, consumer, Group, keys, ackIds,
                time.GetUtcNow().ToUnixTimeMilliseconds()),
            cancellationToken);
    }

    /// <summary>Drops a key's cache entry (its value is not what the store holds), as an invalidation does.</summary>
    public Task<bool> DropEntryAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        cache.InvalidateAsync(ns, key, cancellationToken);

    /// <summary>Parks a write the store keeps refusing; operators read and replay it (docs/write-behind.md).</summary>
    public Task DeadLetterAsync(NamespacePolicy ns, PendingWrite write, string error, int attempts,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            db => db.StreamAddAsync(RedisKeyLayout.DeadLetter(ns),
            [
                new NameValueEntry(LogEntryFields.Key, write.Key),
                new NameValueEntry(LogEntryFields.Version, write.VersionText),
                new NameValueEntry(PendingHash.ContentType, write.ContentType),
                new NameValueEntry(PendingHash.Data, write.Value),
                new NameValueEntry(PendingHash.Tombstone, write.IsTombstone ? "1" : "0"),
                new NameValueEntry("error", error),
                new NameValueEntry("attempts", attempts),
            ]),
            cancellationToken);

    /// <summary>
    /// Unflushed writes in the namespace and the age of the oldest (from its stream id), summed over partitions.
    /// </summary>
    public Task<(long Length, DateTimeOffset? Oldest)> BacklogAsync(NamespacePolicy ns,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db =>
            {
                var lengths = Enumerable.Range(0, ns.Partitions)
                    .Select(p => db.StreamLengthAsync(RedisKeyLayout.Log(ns, p)))
                    .ToArray();
                var firsts = Enumerable.Range(0, ns.Partitions)
                    .Select(p => db.StreamRangeAsync(RedisKeyLayout.Log(ns, p), "-", "+", 1))
                    .ToArray();
                await Task.WhenAll(lengths).ConfigureAwait(false);
                await Task.WhenAll(firsts).ConfigureAwait(false);
                DateTimeOffset? oldest = null;
                foreach (var first in firsts)
                {
                    if (first.Result is [var entry, ..]
                        && TimeOfId(entry.Id) is { } at
                        && (oldest is null || at < oldest))
                    {
                        oldest = at;
                    }
                }

                return (lengths.Sum(l => l.Result), oldest);
            },
            cancellationToken);

    public Task<bool> RetireConsumerAsync(NamespacePolicy ns, int partition, string consumer,
        CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            db => RetireConsumerScript.RunAsync(db, RedisKeyLayout.Log(ns, partition), Group, consumer),
            cancellationToken);

    /// <summary>
    /// A Redis that lost its data (restarted without persistence, flushed) has no consumer group:
    /// create it again and read nothing this round, instead of failing every round (and tripping the
    /// cache tier's circuit breaker) with NOGROUP.
    /// </summary>
    private static async Task<LogEntry[]> RecreatingGroupAsync(IDatabase db, NamespacePolicy ns, int partition,
        Func<Task<LogEntry[]>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            await CreateGroupAsync(db, ns, partition).ConfigureAwait(false);
            return [];
        }
    }

    /// <summary>Creates the group reading from the log's start, so no entry written before it is skipped.</summary>
    private static async Task CreateGroupAsync(IDatabase db, NamespacePolicy ns, int partition)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(RedisKeyLayout.Log(ns, partition), Group, "0", createStream: true)
                .ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance (or an earlier start) created it.
        }
    }

    /// <summary>
    /// Entries one partition may hold: the namespace's MaxBacklog shared evenly, checked atomically in
    /// the enqueue step.
    /// </summary>
    public static long PartitionCapacity(NamespacePolicy ns) =>
        (ns.WriteBehind.MaxBacklog + ns.Partitions - 1) / ns.Partitions;

    private static LogEntry[] ToEntries(StreamEntry[] entries)
    {
        var result = new List<LogEntry>(entries.Length);
        foreach (var entry in entries)
        {
            // An entry deleted while still pending comes back without fields: nothing to flush,
            // only to acknowledge (an empty key says so).
            if (entry.IsNull || entry.Values.Length == 0)
            {
                if (!entry.Id.IsNull)
                {
                    result.Add(new LogEntry(entry.Id, string.Empty, 0));
                }

                continue;
            }

            var key = entry[LogEntryFields.Key];
            var version = entry[LogEntryFields.Version];
            if (key.HasValue && version.HasValue)
            {
                result.Add(new LogEntry(
                    entry.Id,
                    (string)key!,
                    long.Parse((string)version!, NumberStyles.None, CultureInfo.InvariantCulture)));
            }
        }

        return [.. result];
    }

    /// <summary>Stream ids start with the unix time in ms at which Redis appended the entry.</summary>
    private static DateTimeOffset? TimeOfId(RedisValue id)
    {
        var text = (string?)id;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        return dash > 0
            && long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }
}
