using System.Collections.Concurrent;
using System.Globalization;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The Redis cache tier. Each operation is one Lua step (see <see cref="RedisScripts"/>) or one
/// multi-key command on keys of one hash slot. A Polly circuit breaker stops the sidecar from
/// hammering a Redis that is down: while it is open every call fails at once with
/// <see cref="CacheUnavailableException"/> and the strategies fall back to the store.
/// An invalidation that cannot be delivered is remembered by partition; once Redis answers
/// again those partitions' generations are bumped, so no stale entry survives the outage.
/// </summary>
internal sealed class RedisCacheTier : ICacheTier, IDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _breaker;
    private readonly ILogger<RedisCacheTier> _logger;
    private readonly ConcurrentDictionary<(string Ns, int Partition), NamespacePolicy> _missedInvalidations = new();
    private readonly SemaphoreSlim _replayLock = new(1, 1);
    private readonly string _fillScript;

    private readonly Telemetry.SidecarMetrics _metrics;

    // The entry hash's fields, in the order the Lookup script reads them: v g x c d n.
    private static readonly RedisValue[] EntryFields = ["v", "g", "x", "c", "d", "n"];

    public RedisCacheTier(IOptions<SidecarOptions> options, TimeProvider time, Telemetry.SidecarMetrics metrics, ILogger<RedisCacheTier> logger)
    {
        _metrics = metrics;
        var circuit = new CircuitBreakerStateProvider();
        metrics.ObserveCircuit(() => (int)circuit.CircuitState);
        _logger = logger;
        var redis = options.Value.Redis;
        var configuration = ConfigurationOptions.Parse(redis.Configuration!);
        // Start even when Redis is down (the store still serves), and fail commands at once
        // while disconnected instead of queueing them behind a reconnect.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 2000);
        configuration.AsyncTimeout = Math.Min(configuration.AsyncTimeout, 2000);
        configuration.ClientName ??= "cachesidecar";
        _connection = ConnectionMultiplexer.Connect(configuration);
        _fillScript = redis.UnsafeDisableFillLeaseCheckForTesting ? RedisScripts.FillIgnoringLease : RedisScripts.Fill;
        if (redis.UnsafeDisableFillLeaseCheckForTesting)
        {
            SidecarLog.UnsafeFillLeaseCheckDisabled(logger);
        }
        _time = time;
        _breaker = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 5,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = redis.CircuitBreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<RedisTimeoutException>().Handle<TimeoutException>(),
                StateProvider = circuit,
            })
            .Build();
        Description = $"Redis ({configuration.EndPoints.Count} endpoint(s))";
        _connection.ConnectionRestored += (_, _) => _ = ReplayMissedInvalidationsAsync();
    }

    /// <summary>Partitions whose generation must be bumped once Redis is reachable (for tests and metrics).</summary>
    public int MissedInvalidationCount => _missedInvalidations.Count;

    public string Description { get; }

    /// <summary>The connection, for health checks.</summary>
    public IConnectionMultiplexer Connection => _connection;

    public Task<CacheLookup> LookupAsync(NamespacePolicy ns, string key, string? leaseToken, CancellationToken cancellationToken) =>
        Run(
            async db =>
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                var tag = RedisKeyLayout.Tag(ns, RedisKeyLayout.PartitionOf(ns, key));
                var entryKey = RedisKeyLayout.Entry(tag, key);
                var generationKey = RedisKeyLayout.Generation(tag);
                if (await TryReadFreshEntryAsync(db, entryKey, generationKey, now).ConfigureAwait(false) is { } fresh)
                {
                    return new CacheLookup(LookupState.Hit, fresh, LeaseState.NotRequested);
                }

                // Miss, expired or invalidated: the Lua step decides, atomically with taking the lease.
                // Write-behind namespaces also read the pending record (cache, then pending, then store).
                RedisKey[] keys = ns.Strategy == CacheStrategy.WriteBehind
                    ? [.. RedisKeyLayout.KeysFor(tag, key), RedisKeyLayout.Pending(tag, key)]
                    : RedisKeyLayout.KeysFor(tag, key);
                var result = (RedisResult[])(await db.ScriptEvaluateAsync(
                    RedisScripts.Lookup,
                    keys,
                    [now, leaseToken ?? string.Empty, (long)ns.LeaseTtl.TotalMilliseconds]).ConfigureAwait(false))!;
                var state = (int)result[0];
                if (state == 0)
                {
                    return new CacheLookup(LookupState.Miss, null, ToLease((int)result[1]));
                }

                var entry = new CacheEntry(
                    (byte[])result[4]!,
                    (string)result[3]!,
                    (long)result[1],
                    (string)result[5]! == "1",
                    DateTimeOffset.FromUnixTimeMilliseconds((long)result[2]));
                return state switch
                {
                    1 => new CacheLookup(LookupState.Hit, entry, LeaseState.NotRequested),
                    3 => new CacheLookup(LookupState.Pending, entry, LeaseState.NotRequested),
                    _ => new CacheLookup(LookupState.Expired, entry, ToLease((int)result[6])),
                };
            },
            cancellationToken);

    /// <summary>
    /// The hit path without Lua: <c>HMGET</c> of the entry, then <c>GET</c> of the partition
    /// generation, pipelined (one round trip, about a quarter of the Redis time of the Lookup
    /// script, which matters because Redis time bounds Get-hit throughput). Correct without
    /// atomicity because generations only grow: the entry read at t1 carries generation g; if the
    /// generation read at t2 ≥ t1 is still g, it was g at t1 too, so the entry was valid when it
    /// was read. Anything else (absent, other generation, expired) returns null and the caller
    /// runs the Lookup script, which also takes the fill lease.
    /// </summary>
    private static async Task<CacheEntry?> TryReadFreshEntryAsync(IDatabase db, RedisKey entryKey, RedisKey generationKey, long now)
    {
        var entryRead = db.HashGetAsync(entryKey, EntryFields);
        var generationRead = db.StringGetAsync(generationKey);
        var e = await entryRead.ConfigureAwait(false);
        var generation = await generationRead.ConfigureAwait(false);
        if (e[0].IsNull || e[1].IsNull || e[2].IsNull
            || (long)e[1] != (generation.IsNull ? 0 : (long)generation)
            || (long)e[2] <= now)
        {
            return null;
        }

        return new CacheEntry(
            (byte[])e[4]! ?? [],
            e[3].IsNull ? string.Empty : (string)e[3]!,
            (long)e[0],
            e[5] == "1",
            DateTimeOffset.FromUnixTimeMilliseconds((long)e[2]));
    }

    public Task<bool> FillAsync(NamespacePolicy ns, string key, CacheEntry entry, string leaseToken, CancellationToken cancellationToken) =>
        Run(
            async db => (int)await db.ScriptEvaluateAsync(
                _fillScript,
                RedisKeyLayout.KeysFor(ns, key),
                [leaseToken, entry.Version, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value, entry.IsNegative ? 1 : 0, PhysicalTtlMs(ns, entry)]).ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> SetIfNewerAsync(NamespacePolicy ns, string key, CacheEntry entry, CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            async db => (int)await db.ScriptEvaluateAsync(
                RedisScripts.SetIfNewer,
                RedisKeyLayout.KeysFor(ns, key),
                [entry.Version, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value, entry.IsNegative ? 1 : 0, PhysicalTtlMs(ns, entry)]).ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<CacheWriteResult> PutAssigningVersionAsync(NamespacePolicy ns, string key, CacheEntry entry, long? ifMatch, CancellationToken cancellationToken) =>
        Run(
            async db =>
            {
                var version = (long)await db.ScriptEvaluateAsync(
                    RedisScripts.PutAssigningVersion,
                    RedisKeyLayout.KeysFor(ns, key),
                    [Versions.NowMicros(_time), ifMatch is { } v ? v : string.Empty, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value, PhysicalTtlMs(ns, entry)]).ConfigureAwait(false);
                return version < 0 ? new CacheWriteResult(true, 0) : new CacheWriteResult(false, version);
            },
            cancellationToken);

    public Task<(bool PreconditionFailed, bool Deleted)> DeleteIfMatchAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken) =>
        Run(
            async db =>
            {
                var outcome = (int)await db.ScriptEvaluateAsync(
                    RedisScripts.DeleteIfMatch,
                    RedisKeyLayout.KeysFor(ns, key),
                    [ifMatch is { } v ? v.ToString(CultureInfo.InvariantCulture) : string.Empty]).ConfigureAwait(false);
                return (outcome < 0, outcome == 1);
            },
            cancellationToken);

    public Task<bool> ReplaceTombstoneAsync(NamespacePolicy ns, string key, long tombstoneVersion, CacheEntry entry, CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            async db => (int)await db.ScriptEvaluateAsync(
                RedisScripts.ReplaceTombstone,
                RedisKeyLayout.KeysFor(ns, key),
                [tombstoneVersion.ToString(CultureInfo.InvariantCulture), entry.Version, entry.ExpiresAt.ToUnixTimeMilliseconds(), entry.ContentType, entry.Value, PhysicalTtlMs(ns, entry)]).ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> InvalidateAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken) =>
        RunInvalidating(
            ns,
            key,
            async db =>
            {
                var keys = RedisKeyLayout.KeysFor(ns, key);
                // Entry and lease share a slot, so one DEL removes both atomically.
                return await db.KeyDeleteAsync([keys[0], keys[1]]).ConfigureAwait(false) > 0;
            },
            cancellationToken);

    public Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken) =>
        Run(
            async db =>
            {
                // One INCR per partition, pipelined: constant in the number of keys (never SCAN + DEL).
                var bumps = Enumerable.Range(0, ns.Partitions).Select(p => db.StringIncrementAsync(RedisKeyLayout.Generation(ns, p)));
                await Task.WhenAll(bumps).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    private static LeaseState ToLease(int lease) => lease switch
    {
        1 => LeaseState.Granted,
        -1 => LeaseState.HeldByOther,
        _ => LeaseState.NotRequested,
    };

    /// <summary>Redis keeps an entry for its TTL plus the stale window, so fail-safe reads can still find it.</summary>
    private long PhysicalTtlMs(NamespacePolicy ns, CacheEntry entry)
    {
        var fresh = entry.ExpiresAt - _time.GetUtcNow();
        var keep = (fresh > TimeSpan.Zero ? fresh : TimeSpan.Zero) + (ns.OnStoreDown == StoreDownBehavior.ServeStale ? ns.StaleWindow : TimeSpan.Zero);
        return Math.Max(1, (long)keep.TotalMilliseconds);
    }

    /// <summary>Runs a step that invalidates or replaces an entry; if it cannot reach Redis, the partition is remembered.</summary>
    private async Task<T> RunInvalidating<T>(NamespacePolicy ns, string key, Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await Run(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheUnavailableException)
        {
            var partition = RedisKeyLayout.PartitionOf(ns, key);
            _missedInvalidations.TryAdd((ns.Name, partition), ns);
            throw;
        }
    }

    /// <summary>
    /// Bumps the generation of every partition whose invalidation was missed. Callers wait for a
    /// replay already in progress, so no read runs ahead of the bump.
    /// </summary>
    private async Task ReplayMissedInvalidationsAsync()
    {
        if (_missedInvalidations.IsEmpty)
        {
            return;
        }

        await _replayLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var db = _connection.GetDatabase();
            var bumped = 0;
            foreach (var ((nsName, partition), ns) in _missedInvalidations)
            {
                await db.StringIncrementAsync(RedisKeyLayout.Generation(ns, partition)).ConfigureAwait(false);
                _missedInvalidations.TryRemove((nsName, partition), out _);
                bumped++;
            }

            if (bumped > 0)
            {
                SidecarLog.MissedInvalidationsReplayed(_logger, bumped);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Still unreachable: the next restored connection or call tries again.
        }
        finally
        {
            _replayLock.Release();
        }
    }

    /// <summary>Runs a write-behind step through the same circuit breaker and error mapping as the cache steps.</summary>
    internal Task<T> ExecuteAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken) => Run(operation, cancellationToken);

    private async Task<T> Run<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        if (!_missedInvalidations.IsEmpty)
        {
            // Before anything is read from a Redis that missed invalidations, bump the partitions
            // they hit (a timeout-only outage raises no ConnectionRestored event).
            await ReplayMissedInvalidationsAsync().ConfigureAwait(false);
            if (!_missedInvalidations.IsEmpty)
            {
                // Until the bump lands, this Redis may hold entries that should be gone: don't use it.
                throw new CacheUnavailableException("The cache tier (Redis) still has undelivered invalidations.");
            }
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            // StackExchange.Redis commands take no token; WaitAsync lets the caller's deadline end the wait.
            var result = await _breaker.ExecuteAsync(
                static async (state, token) => await state.operation(state.db).WaitAsync(token).ConfigureAwait(false),
                (operation, db: _connection.GetDatabase()),
                cancellationToken).ConfigureAwait(false);
            ok = true;
            return result;
        }
        catch (BrokenCircuitException ex)
        {
            throw new CacheUnavailableException("The cache tier (Redis) is unavailable (circuit open).", ex);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException or TimeoutException)
        {
            throw new CacheUnavailableException("The cache tier (Redis) is unavailable: " + ex.GetType().Name, ex);
        }
        finally
        {
            _metrics.RedisCall(ok, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _replayLock.Dispose();
    }
}
