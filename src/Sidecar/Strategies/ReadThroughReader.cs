using CacheSidecar.CacheTier;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Strategies;

/// <summary>
/// The read path every strategy shares:
/// cache [→ pending record] → (miss) lease → single-flight store load → lease-guarded fill.
/// <list type="bullet">
/// <item>A miss takes a lease in the same atomic step as the lookup. An invalidation or a newer
/// write kills the lease, so a loader that read the store before a concurrent Put can never
/// put its older value into the cache afterwards (memcache-style leases).</item>
/// <item>Within one sidecar, concurrent misses share one load (<see cref="SingleFlight{TKey,TResult}"/>);
/// across sidecars, whoever lacks the lease waits briefly for the holder's fill.</item>
/// <item>If the cache tier is down the store answers alone; if the store is down an expired
/// entry may be served as stale, per the namespace's <c>OnStoreDown</c>.</item>
/// </list>
/// </summary>
internal sealed class ReadThroughReader(
    ICacheTier cache,
    IRecordStore store,
    TimeProvider time,
    ILogger<ReadThroughReader> logger)
{
    // Poll interval while another sidecar holds the fill lease. Real time on purpose: the fake
    // clocks in tests drive TTLs, not scheduling.
    private static readonly TimeSpan FillPollInterval = TimeSpan.FromMilliseconds(5);

    private readonly SingleFlight<(string Ns, string Key), StoredRecord?> _loads = new();

    /// <param name="readPending">Look at the write-behind pending record between the cache and the store.</param>
    public async Task<ReadResult> ReadAsync(NamespacePolicy ns, string key, bool readPending,
        CancellationToken cancellationToken)
    {
        var leaseToken = ns.HasStore ? LeaseTokens.Next() : null;
        var (lookup, cacheDown) = await LookupOrMissAsync(ns, key, leaseToken, readPending, cancellationToken)
            .ConfigureAwait(false);
        // Taken after the lookup (and its lease) returned: a load that started later read the store
        // after every write that finished before this call began, and after every invalidation that
        // preceded this caller's lease, so its answer is fresh for the caller and safe to fill.
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        return await CompleteReadAsync(ns, key, began, lookup, leaseToken, readPending, cacheDown, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<ReadResult[]> ReadManyAsync(NamespacePolicy ns, IReadOnlyList<string> keys, bool readPending,
        CancellationToken cancellationToken)
    {
        // All lookups go out at once: StackExchange.Redis pipelines them on its connection(s),
        // so N keys cost about one round trip per shard, not N.
        var tokens = keys.Select(_ => ns.HasStore ? LeaseTokens.Next() : null).ToArray();
        var answers = await Task.WhenAll(keys.Select((key, i) => LookupOrMissAsync(ns, key, tokens[i], readPending,
            cancellationToken))).ConfigureAwait(false);
        var lookups = answers.Select(answer => answer.Lookup).ToArray();
        var results = new ReadResult[keys.Count];
        var misses = new List<int>();
        for (var i = 0; i < keys.Count; i++)
        {
            if (lookups[i].State is LookupState.Hit or LookupState.Pending)
            {
                results[i] = FromLookup(lookups[i]);
            }
            else if (!ns.HasStore)
            {
                results[i] = ReadResult.NotFound(ReadSource.Cache);
            }
            else
            {
                misses.Add(i);
            }
        }

        if (misses.Count == 0)
        {
            return results;
        }

        // Misses load in one store query, then fill under their own leases.
        IReadOnlyDictionary<string, StoredRecord>? loaded = null;
        try
        {
            loaded = await store.LoadManyAsync(ns, misses.Select(i => keys[i]).ToArray(), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (StoreUnavailableException) when (misses.All(i => CanServeStale(ns, lookups[i])))
        {
            foreach (var i in misses)
            {
                results[i] = FromEntry(lookups[i].Entry!, stale: true);
            }

            return results;
        }

        await Task.WhenAll(misses.Select(async i =>
        {
            loaded.TryGetValue(keys[i], out var record);
            await TryFillAsync(ns, keys[i], record, lookups[i].Lease, tokens[i], cancellationToken)
                .ConfigureAwait(false);

            results[i] = FromRecord(record, stale: answers[i].CacheDown && readPending);
        })).ConfigureAwait(false);
        return results;
    }

    private async Task<ReadResult> CompleteReadAsync(NamespacePolicy ns, string key, long began, CacheLookup lookup,
        string? leaseToken, bool readPending, bool cacheDown, CancellationToken cancellationToken)
    {
        if (lookup.State is LookupState.Hit or LookupState.Pending)
        {
            return FromLookup(lookup);
        }

        if (!ns.HasStore)
        {
            return ReadResult.NotFound(ReadSource.Cache);
        }

        if (lookup.Lease == LeaseState.HeldByOther)
        {
            var filled = await WaitForFillAsync(ns, key, readPending, cancellationToken).ConfigureAwait(false);
            if (filled is { } hit)
            {
                return hit;
            }
        }

        StoredRecord? record;
        try
        {
            (record, _) = await _loads.RunAsync(
                    (ns.Name, key),
                    began,
                    () => store.LoadAsync(ns, key, cancellationToken),
                    cancellationToken)
                .ConfigureAwait(false);
        }
        catch (StoreUnavailableException) when (CanServeStale(ns, lookup))
        {
            SidecarLog.ServedStale(logger, ns.Name);
            return FromEntry(lookup.Entry!, stale: true);
        }

        // A caller that joined another's load still fills under its own lease: the fill is
        // version-guarded, and it releases the lease instead of leaving it to time out.
        await TryFillAsync(ns, key, record, lookup.Lease, leaseToken, cancellationToken).ConfigureAwait(false);

        // Without Redis, a write-behind namespace's store may lack acknowledged pending writes.
        return FromRecord(record, stale: cacheDown && readPending);
    }

    /// <summary>
    /// The cache's answer, or a miss when the cache tier is down (<c>CacheDown</c>) and the store may
    /// answer instead. A pure cache has nothing to fall back to. A namespace whose acknowledged writes
    /// may not be in the store yet (<paramref name="readPending"/>: write-behind) does not fall back
    /// either, unless it opts in with <see cref="CacheDownReadBehavior.ServeStale"/>: an answer from
    /// such a store could be older than a write the caller made or a value it read (reads never go back
    /// in time, DESIGN §4).
    /// </summary>
    private async Task<(CacheLookup Lookup, bool CacheDown)> LookupOrMissAsync(NamespacePolicy ns, string key,
        string? leaseToken, bool readPending, CancellationToken cancellationToken)
    {
        try
        {
            var lookup = await cache.LookupAsync(ns, key, leaseToken, readPending, cancellationToken)
                .ConfigureAwait(false);
            return (lookup, false);
        }
        catch (CacheUnavailableException ex)
        {
            if (!ns.HasStore)
            {
                throw new SidecarUnavailableException(
                    $"The cache tier is unavailable and namespace '{ns.Name}' has no store.", ex);
            }

            if (readPending && ns.OnCacheDownRead == CacheDownReadBehavior.Fail)
            {
                throw new SidecarUnavailableException(
                    $"The cache tier is unavailable; namespace '{ns.Name}' is write-behind, so its store may lack "
                    + "acknowledged writes and is not read instead (OnCacheDownRead: Fail).", ex);
            }

            if (ns.OnCacheUnreachable == CacheUnreachableBehavior.Fail)
            {
                // Other instances may still serve entries this instance's store answer would contradict.
                throw new SidecarUnavailableException(
                    $"The cache tier (Redis) is unreachable from this instance; namespace '{ns.Name}' does not "
                    + "read the store instead (OnCacheUnreachable: Fail).", ex);
            }

            SidecarLog.CacheFallback(logger, ns.Name, ex.Message);
            return (new CacheLookup(LookupState.Miss, null, LeaseState.NotRequested), true);
        }
    }

    private async Task<ReadResult?> WaitForFillAsync(NamespacePolicy ns, string key, bool readPending,
        CancellationToken cancellationToken)
    {
        var deadline = TimeSpan.FromTicks(ns.LeaseTtl.Ticks / 10);
        var waited = TimeSpan.Zero;
        while (waited < deadline)
        {
            await Task.Delay(FillPollInterval, cancellationToken).ConfigureAwait(false);
            waited += FillPollInterval;
            var (lookup, _) = await LookupOrMissAsync(ns, key, leaseToken: null, readPending, cancellationToken)
                .ConfigureAwait(false);
            if (lookup.State is LookupState.Hit or LookupState.Pending)
            {
                return FromLookup(lookup);
            }
        }

        return null;
    }

    /// <summary>
    /// Fills under the caller's lease. A caller whose lease another loader holds fills nothing, but the
    /// version it is about to serve still goes to the cache as a floor (see <see cref="ICacheTier.FillAsync"/>).
    /// </summary>
    private async Task TryFillAsync(NamespacePolicy ns, string key, StoredRecord? record, LeaseState lease,
        string? leaseToken, CancellationToken cancellationToken)
    {
        if (lease == LeaseState.NotRequested || (lease == LeaseState.HeldByOther && record is null))
        {
            return;
        }

        var now = time.GetUtcNow();
        CacheEntry entry;
        if (record is null)
        {
            if (ns.NegativeTtl <= TimeSpan.Zero)
            {
                return;
            }

            entry = CacheEntry.Negative(now + ns.NegativeTtl);
        }
        else
        {
            entry = new CacheEntry(
                record.Value, record.ContentType, record.Version, false, now + EntryTtl.For(ns, null), record.Tags);
        }

        try
        {
            await cache.FillAsync(ns, key, entry, lease == LeaseState.Granted ? leaseToken : null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (CacheUnavailableException ex)
        {
            SidecarLog.CacheFallback(logger, ns.Name, ex.Message);
        }
    }

    private bool CanServeStale(NamespacePolicy ns, CacheLookup lookup) =>
        ns.OnStoreDown == StoreDownBehavior.ServeStale
        && lookup is { State: LookupState.Expired, Entry: { } entry }
        && time.GetUtcNow() - entry.ExpiresAt <= ns.StaleWindow;

    /// <summary>A fresh entry, or a write-behind pending record (the newest value, not yet in the store).</summary>
    private ReadResult FromLookup(CacheLookup lookup)
    {
        if (lookup.State != LookupState.Pending)
        {
            return FromEntry(lookup.Entry!, stale: false);
        }

        var pending = lookup.Entry!;
        return pending.IsNegative
            ? ReadResult.NotFound(ReadSource.Pending)
            : new ReadResult(
                true, pending.Value, pending.ContentType, pending.Version, ReadSource.Pending, false, null);
    }

    private ReadResult FromEntry(CacheEntry entry, bool stale)
    {
        if (entry.IsNegative)
        {
            return ReadResult.NotFound(ReadSource.Cache);
        }

        var remaining = entry.ExpiresAt - time.GetUtcNow();
        return new ReadResult(
            true,
            entry.Value,
            entry.ContentType,
            entry.Version,
            ReadSource.Cache,
            stale,
            remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
    }

    private static ReadResult FromRecord(StoredRecord? record, bool stale) => record is null
        ? ReadResult.NotFound(ReadSource.Store) with { Stale = stale }
        : new ReadResult(true, record.Value, record.ContentType, record.Version, ReadSource.Store, stale, null);
}
