using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The Redis cache tier. Each operation is one Lua step (the <c>*Script</c> classes beside this
/// one) or one multi-key command on keys of one hash slot, run through the
/// <see cref="RedisConnection"/>, which owns the breaker and the replay of missed invalidations.
/// A step that invalidates or replaces an entry and cannot reach Redis is reported to the
/// connection, which bumps that partition's generation before Redis is used again.
/// </summary>
internal sealed class RedisCacheTier : ICacheTier
{
    private readonly RedisConnection _redis;
    private readonly TimeProvider _time;
    private readonly bool _checkFillLease;

    public RedisCacheTier(RedisConnection redis, IOptions<SidecarOptions> options, TimeProvider time,
        ILogger<RedisCacheTier> logger)
    {
        _redis = redis;
        _time = time;
        _checkFillLease = !options.Value.Redis.UnsafeDisableFillLeaseCheckForTesting;
        if (!_checkFillLease)
        {
            SidecarLog.UnsafeFillLeaseCheckDisabled(logger);
        }
    }

    public string Description => _redis.Description;

    public ValueTask<bool> IsUsableAsync() => _redis.IsUsableAsync();

    public Task<CacheLookup> LookupAsync(NamespacePolicy ns, string key, string? leaseToken, bool readPending,
        CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(
            async db =>
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                var keys = RedisKeyLayout.For(ns, key);
                long? tagInvalidated = null;
                if (await TryReadFreshEntryAsync(db, keys, now).ConfigureAwait(false) is var (fresh, tags))
                {
                    if (await TagsCurrentAsync(db, ns, tags).ConfigureAwait(false))
                    {
                        return new CacheLookup(LookupState.Hit, fresh, LeaseState.NotRequested);
                    }

                    tagInvalidated = fresh.Version;
                }

                // Miss, expired, invalidated or a tag invalidated: the Lua step decides, atomically with
                // taking the lease (and dropping an entry whose tag was invalidated).
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var (lookup, entryTags) = await LookupScript
                        .RunAsync(db, keys, now, leaseToken, ns.LeaseTtl, readPending, tagInvalidated)
                        .ConfigureAwait(false);
                    if (lookup.Entry is null || await TagsCurrentAsync(db, ns, entryTags).ConfigureAwait(false))
                    {
                        return lookup;
                    }

                    tagInvalidated = lookup.Entry.Version;
                }

                // Tagged writes and tag invalidations keep racing: answer a miss without a lease (no fill).
                return new CacheLookup(LookupState.Miss, null, LeaseState.NotRequested);
            },
            cancellationToken);

    private static Task<bool> TagsCurrentAsync(IDatabase db, NamespacePolicy ns, string tagGenerations) =>
        tagGenerations.Length == 0 ? Task.FromResult(true) : TagGenerations.AreCurrentAsync(db, ns, tagGenerations);

    /// <summary>
    /// The hit path without Lua: <c>HMGET</c> of the entry, then <c>GET</c> of the partition
    /// generation, pipelined (one round trip, about a quarter of the Redis time of the Lookup
    /// script, which matters because Redis time bounds Get-hit throughput). Correct without
    /// atomicity because generations only grow: the entry read at t1 carries generation g; if the
    /// generation read at t2 ≥ t1 is still g, it was g at t1 too, so the entry was valid when it
    /// was read. Anything else (absent, other generation, expired) returns null and the caller
    /// runs the Lookup script, which also takes the fill lease.
    /// </summary>
    private static async Task<(CacheEntry Entry, string TagGenerations)?> TryReadFreshEntryAsync(IDatabase db,
        EntryKeys keys, long now)
    {
        var entryRead = db.HashGetAsync(keys.Entry, EntryHash.AllFields);
        var generationRead = db.StringGetAsync(keys.Generation);
        if (await entryRead.ConfigureAwait(false) is not [var version, var generation, var expiresAt, var contentType,
            var data, var negative, var tags])
        {
            return null;
        }

        var current = await generationRead.ConfigureAwait(false);
        if (version.IsNull || generation.IsNull || expiresAt.IsNull
            || (long)generation != (current.IsNull ? 0 : (long)current)
            || (long)expiresAt <= now)
        {
            return null;
        }

        var entry = new CacheEntry(
            (byte[])data! ?? [],
            contentType.IsNull ? string.Empty : (string)contentType!,
            (long)version,
            negative == "1",
            DateTimeOffset.FromUnixTimeMilliseconds((long)expiresAt));
        return (entry, tags.IsNull ? string.Empty : (string)tags!);
    }

    public Task<bool> FillAsync(NamespacePolicy ns, string key, CacheEntry entry, string? leaseToken,
        CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(
            async db => await FillScript.RunAsync(
                    db, RedisKeyLayout.For(ns, key), leaseToken, entry, PhysicalTtlMs(ns, entry), _checkFillLease,
                    await TagGenerations.SnapshotAsync(db, ns, entry.Tags).ConfigureAwait(false))
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> SetIfNewerAsync(NamespacePolicy ns, string key, CacheEntry entry,
        CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            async db => await SetIfNewerScript.RunAsync(
                    db, RedisKeyLayout.For(ns, key), entry, PhysicalTtlMs(ns, entry),
                    await TagGenerations.SnapshotAsync(db, ns, entry.Tags).ConfigureAwait(false))
                .ConfigureAwait(false),
            cancellationToken);

    public Task<CacheWriteResult> PutAssigningVersionAsync(NamespacePolicy ns, string key, CacheEntry entry,
        long? ifMatch, bool ifAbsent, CancellationToken cancellationToken) =>
        RelyingOnEntryAsync<CacheWriteResult>(
            ns,
            key,
            async (db, keys, trusted) =>
            {
                var tagGenerations = await TagGenerations.SnapshotAsync(db, ns, entry.Tags).ConfigureAwait(false);
                return await PutAssigningVersionScript.RunAsync(
                        db, keys, Versions.NowMicros(_time), ifMatch, ifAbsent, entry, PhysicalTtlMs(ns, entry),
                        tagGenerations, trusted)
                    .ConfigureAwait(false);
            },
            cancellationToken);

    public Task<CounterWriteResult> IncrementAssigningVersionAsync(NamespacePolicy ns, string key, long delta,
        DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        RelyingOnEntryAsync<CounterWriteResult>(
            ns,
            key,
            (db, keys, trusted) => IncrementScript.RunAsync(
                db, keys, Versions.NowMicros(_time), delta, expiresAt,
                PhysicalTtl.Milliseconds(ns, expiresAt, _time.GetUtcNow()), trusted),
            cancellationToken);

    public Task<(bool PreconditionFailed, bool Deleted)> DeleteIfMatchAsync(NamespacePolicy ns, string key,
        long? ifMatch, CancellationToken cancellationToken) =>
        RelyingOnEntryAsync<(bool, bool)>(
            ns,
            key,
            (db, keys, trusted) => DeleteIfMatchScript.RunAsync(db, keys, ifMatch, trusted),
            cancellationToken);

    public Task<bool> InvalidateOlderAsync(NamespacePolicy ns, string key, long? version,
        CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            db => InvalidateOlderScript.RunAsync(db, RedisKeyLayout.For(ns, key), version),
            cancellationToken);

    public Task<bool> InvalidateAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            db => InvalidateScript.RunAsync(db, RedisKeyLayout.For(ns, key)),
            cancellationToken);

    public async Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var expiresAt = now + ttl;
        var touched = await RelyingOnEntryAsync<bool>(
                ns,
                key,
                (db, keys, trusted) => TouchScript.RunAsync(db, keys, now.ToUnixTimeMilliseconds(),
                    expiresAt.ToUnixTimeMilliseconds(), PhysicalTtl.Milliseconds(ns, expiresAt, now), trusted),
                cancellationToken)
            .ConfigureAwait(false);
        return touched ? ttl : null;
    }

    public Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(
            async db =>
            {
                // One INCR per partition, pipelined: constant in the number of keys (never SCAN + DEL).
                var bumps = Enumerable.Range(0, ns.Partitions)
                    .Select(p => db.StringIncrementAsync(RedisKeyLayout.Generation(ns, p)));
                await Task.WhenAll(bumps).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    public Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags,
        CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(
            async db =>
            {
                // One step per tag, each on its tag's own slot, pipelined.
                var lifetime = TagGenerations.Lifetime(ns);
                await Task.WhenAll(tags.Select(tag =>
                        InvalidateTagScript.RunAsync(db, RedisKeyLayout.TagGeneration(ns, tag), lifetime)))
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Runs a step whose answer depends on the live entry (a pure-cache condition, counter or delete; Touch).
    /// A step does not rely on a tagged entry whose tags nobody checked (the Lua cannot read tag generations
    /// in other slots): it answers null, the tags are checked here (one more round trip, tagged entries
    /// only), and the step runs again trusting that version, or after the entry was dropped as invalidated.
    /// </summary>
    private Task<T> RelyingOnEntryAsync<T>(NamespacePolicy ns, string key,
        Func<IDatabase, EntryKeys, string, Task<T?>> step, CancellationToken cancellationToken)
        where T : struct =>
        _redis.ExecuteAsync(
            async db =>
            {
                var keys = RedisKeyLayout.For(ns, key);
                var trusted = string.Empty;
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    if (await step(db, keys, trusted).ConfigureAwait(false) is { } result)
                    {
                        return result;
                    }

                    var fields = await db.HashGetAsync(keys.Entry, [EntryHash.Version, EntryHash.Tags])
                        .ConfigureAwait(false);
                    if (fields[0].IsNull)
                    {
                        continue;
                    }

                    if (await TagGenerations.AreCurrentAsync(db, ns, (string?)fields[1] ?? string.Empty)
                        .ConfigureAwait(false))
                    {
                        trusted = (string)fields[0]!;
                        continue;
                    }

                    await LookupScript.RunAsync(db, keys, _time.GetUtcNow().ToUnixTimeMilliseconds(), null,
                            ns.LeaseTtl, readPending: false, dropVersion: (long)fields[0])
                        .ConfigureAwait(false);
                }

                throw new SidecarUnavailableException(
                    $"Key '{key}' kept being rewritten with tags while its tags were checked; retry.");
            },
            cancellationToken);

    /// <summary>Redis keeps an entry for its TTL plus the stale window, so fail-safe reads can still find it.</summary>
    private long PhysicalTtlMs(NamespacePolicy ns, CacheEntry entry) =>
        PhysicalTtl.Milliseconds(ns, entry.ExpiresAt, _time.GetUtcNow());

    /// <summary>
    /// Runs a step that invalidates or replaces an entry; if it cannot reach Redis, the partition is remembered.
    /// </summary>
    private async Task<T> RunInvalidating<T>(NamespacePolicy ns, string key, Func<IDatabase, Task<T>> operation,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _redis.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheUnavailableException)
        {
            _redis.RememberMissedInvalidation(ns, ns.PartitionOf(key));
            throw;
        }
    }
}
