using System.Diagnostics;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>One flush round of a <see cref="NamespaceFlusher"/>: read, claim, write the store, complete.</summary>
internal sealed partial class NamespaceFlusher
{
    /// <summary>
    /// One round over all partitions. Store and Redis calls run to completion (no token): a round is
    /// never abandoned half-way.
    /// </summary>
    private async Task<RoundResult> RoundAsync(bool ownEntriesOnly)
    {
        var now = _time.GetUtcNow();
        var reclaim = !ownEntriesOnly && now >= _nextReclaim;
        if (reclaim)
        {
            _nextReclaim = now + (_policy.ReclaimAfter / 2);
        }

        var sweepOwnEntries = now >= _nextOwnEntriesSweep;
        if (sweepOwnEntries)
        {
            _nextOwnEntriesSweep = now + OwnEntriesSweepInterval;
        }

        var batches = await Task.WhenAll(Enumerable.Range(0, _ns.Partitions)
                .Select(p => ReadPartitionAsync(p, ownEntriesOnly || sweepOwnEntries, newEntries: !ownEntriesOnly,
                    reclaim)))
            .ConfigureAwait(false);
        var read = batches.Sum(b => b.Entries.Count);
        if (read == 0)
        {
            return RoundResult.Idle;
        }

        // Claim the keys to flush, per partition (one Lua step per partition, all in parallel).
        var claims = await Task.WhenAll(batches.Select(b => ClaimAsync(b, now))).ConfigureAwait(false);
        var toWrite = claims.SelectMany(c => c.Values)
            .Where(c => c.State == ClaimState.Claimed)
            .Select(c => c.Write!)
            .ToList();

        Dictionary<string, MutationOutcome> outcomes;
        try
        {
            outcomes = await WriteToStoreAsync(toWrite).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or CacheUnavailableException)
        {
            await ReleaseClaimsAsync(batches, claims).ConfigureAwait(false);
            throw;
        }

        var unfinished = 0;
        for (var i = 0; i < batches.Length; i++)
        {
            unfinished += await CompletePartitionAsync(batches[i], claims[i], outcomes).ConfigureAwait(false);
        }

        return new RoundResult(read, unfinished, batches.Any(b => b.NewEntries >= _policy.BatchSize));
    }

    /// <param name="partition">The partition to read.</param>
    /// <param name="ownEntries">Read this consumer's own entries even if it believes it holds none.</param>
    /// <param name="newEntries">Read new entries (not while draining at shutdown).</param>
    /// <param name="reclaim">Take over entries other consumers left idle past ReclaimAfter.</param>
    private async Task<PartitionBatch> ReadPartitionAsync(int partition, bool ownEntries, bool newEntries,
        bool reclaim)
    {
        var entries = new List<LogEntry>();
        if (_holdsEntries[partition] || ownEntries)
        {
            entries.AddRange(await _log.ReadAsync(
                    _ns, partition, _consumer, ownPending: true, _policy.BatchSize, CancellationToken.None)
                .ConfigureAwait(false));
        }

        var newCount = 0;
        if (newEntries)
        {
            // A read whose reply is lost (Redis restarting, a reset connection) has still handed its
            // entries to this consumer: until a read returns, assume it holds some, so the next round
            // re-reads its own pending entries instead of leaving them to the reclaim after ReclaimAfter.
            _holdsEntries[partition] = true;
            var fresh = await _log.ReadAsync(
                    _ns, partition, _consumer, ownPending: false, _policy.BatchSize, CancellationToken.None)
                .ConfigureAwait(false);
            newCount = fresh.Length;
            entries.AddRange(fresh);
        }

        if (reclaim)
        {
            var reclaimed = await _log.ReclaimAsync(
                    _ns, partition, _consumer, _policy.ReclaimAfter, _policy.BatchSize, CancellationToken.None)
                .ConfigureAwait(false);
            if (reclaimed.Length > 0)
            {
                _metrics.Reclaimed(_ns.Name, reclaimed.Length);
                SidecarLog.WriteBehindReclaimed(_logger, _ns.Name, reclaimed.Length);
                entries.AddRange(reclaimed);
            }
        }

        var distinct = entries.DistinctBy(e => e.Id).ToList();
        _holdsEntries[partition] = distinct.Count > 0;
        return new PartitionBatch(partition, distinct, newCount);
    }

    private async Task<Dictionary<string, ClaimResult>> ClaimAsync(PartitionBatch batch, DateTimeOffset now)
    {
        var keys = batch.Entries
            .Where(e => e.Key.Length > 0 && !(_notBefore.TryGetValue(e.Key, out var notBefore) && notBefore > now))
            .Select(e => e.Key)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var claims = new Dictionary<string, ClaimResult>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return claims;
        }

        var results = await _log.ClaimAsync(
                _ns, batch.Partition, _consumer, keys, _policy.ReclaimAfter, CancellationToken.None)
            .ConfigureAwait(false);
        for (var i = 0; i < keys.Count; i++)
        {
            claims[keys[i]] = results[i];
        }

        return claims;
    }

    private async Task<Dictionary<string, MutationOutcome>> WriteToStoreAsync(List<PendingWrite> writes)
    {
        var outcomes = new Dictionary<string, MutationOutcome>(writes.Count, StringComparer.Ordinal);
        foreach (var chunk in writes.Chunk(_policy.BatchSize))
        {
            var mutations = chunk.Select(w => new StoreMutation(
                    w.Key,
                    w.Version,
                    w.IsTombstone ? null : new StoredRecord(w.Value, w.ContentType, w.Version, w.Tags)))
                .ToList();
            var started = Stopwatch.GetTimestamp();
            var results = await _store.ApplyBatchAsync(_ns, mutations, CancellationToken.None).ConfigureAwait(false);
            _metrics.Batch(_ns.Name, mutations.Count, Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < chunk.Length; i++)
            {
                outcomes[chunk[i].Key] = results[i];
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Finishes one partition's part of the round; returns how many of its entries stay
    /// unacknowledged (their key is busy, backing off, or refused below MaxAttempts).
    /// </summary>
    private async Task<int> CompletePartitionAsync(PartitionBatch batch, Dictionary<string, ClaimResult> claims,
        Dictionary<string, MutationOutcome> outcomes)
    {
        var finishedKeys = new HashSet<string>(StringComparer.Ordinal);
        var completions = new List<(string Key, string? FlushedVersion)>();
        var staleEntries = new List<string>();
        var flushed = 0;
        foreach (var (key, claim) in claims)
        {
            if (claim.State == ClaimState.AlreadyFlushed)
            {
                finishedKeys.Add(key);
                continue;
            }

            if (claim.State != ClaimState.Claimed)
            {
                continue;
            }

            var write = claim.Write!;
            var outcome = outcomes[key];
            if (outcome.Status == MutationStatus.Rejected
                && !await GiveUpAsync(write, outcome.Error!).ConfigureAwait(false))
            {
                completions.Add((key, null));
                continue;
            }

            if (outcome.Status == MutationStatus.Applied)
            {
                flushed++;
            }
            else
            {
                // Dead-lettered, or the store holds a newer version: the cache entry this write
                // set is not what the store holds, so it must not go on serving it.
                staleEntries.Add(key);
            }

            _attempts.Remove((key, write.Version));
            _notBefore.Remove(key);
            completions.Add((key, write.VersionText));
            finishedKeys.Add(key);
        }

        // Entries without a key (deleted from the log while pending) only need acknowledging.
        var ack = batch.Entries
            .Where(e => e.Key.Length == 0 || finishedKeys.Contains(e.Key))
            .Select(e => e.Id)
            .ToList();
        await _log.CompleteAsync(_ns, batch.Partition, _consumer, completions, ack, CancellationToken.None)
            .ConfigureAwait(false);
        foreach (var key in staleEntries)
        {
            await _log.DropEntryAsync(_ns, key, CancellationToken.None).ConfigureAwait(false);
        }
        _metrics.Flushed(_ns.Name, flushed);
        var unfinished = batch.Entries.Count - ack.Count;
        _holdsEntries[batch.Partition] = unfinished > 0;
        return unfinished;
    }

    /// <summary>
    /// Counts a refusal; after MaxAttempts the write goes to the dead-letter stream (true: stop retrying it).
    /// </summary>
    private async Task<bool> GiveUpAsync(PendingWrite write, string error)
    {
        var attempt = _attempts.GetValueOrDefault((write.Key, write.Version)) + 1;
        if (attempt < _policy.MaxAttempts)
        {
            _attempts[(write.Key, write.Version)] = attempt;
            var backOff = TimeSpan.FromTicks(
                Math.Min(_policy.RetryMaxDelay.Ticks, _policy.RetryBaseDelay.Ticks << Math.Min(attempt - 1, 20)));
            _notBefore[write.Key] = _time.GetUtcNow() + backOff;
            SidecarLog.WriteBehindRejected(_logger, _ns.Name, write.Key, attempt, _policy.MaxAttempts, error);
            return false;
        }

        await _log.DeadLetterAsync(_ns, write, error, attempt, CancellationToken.None).ConfigureAwait(false);
        if (_broadcast is not null)
        {
            // The dead-lettered value was visible; near-caches must stop serving it as well.
            await _broadcast.KeysChangedAsync(_ns, [write.Key]).ConfigureAwait(false);
        }

        _metrics.DeadLettered(_ns.Name);
        SidecarLog.WriteBehindDeadLettered(_logger, _ns.Name, write.Key, write.Version, attempt, error);
        return true;
    }

    private async Task ReleaseClaimsAsync(PartitionBatch[] batches, Dictionary<string, ClaimResult>[] claims)
    {
        try
        {
            await Task.WhenAll(batches.Select((b, i) => _log.CompleteAsync(
                _ns,
                b.Partition,
                _consumer,
                claims[i].Where(c => c.Value.State == ClaimState.Claimed).Select(c => (c.Key, (string?)null)).ToList(),
                [],
                CancellationToken.None))).ConfigureAwait(false);
        }
        catch (CacheUnavailableException)
        {
            // The claims expire after ReclaimAfter; this consumer may re-claim its own at once.
        }

        foreach (var batch in batches)
        {
            _holdsEntries[batch.Partition] = true;
        }
    }

    private sealed record PartitionBatch(int Partition, List<LogEntry> Entries, int NewEntries);

    private readonly record struct RoundResult(int Read, int Unfinished, bool FullBatch)
    {
        public static readonly RoundResult Idle = new(0, 0, false);
    }
}
