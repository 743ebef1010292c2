using System.Collections.Concurrent;
using System.Diagnostics;
using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace CacheSidecar.Redis;

/// <summary>
/// The sidecar's one connection to Redis, and its only owner: the multiplexer, the Polly circuit
/// breaker (thresholds from <see cref="RedisOptions"/>), the error mapping and the replay of
/// invalidations Redis missed. Registered only when <c>Sidecar:Redis:Configuration</c> is set;
/// the cache tier, the near-cache bus, write-behind and the health check receive it.
/// <list type="bullet">
/// <item>While the circuit is open every call fails at once with <see cref="CacheUnavailableException"/>
/// (no per-call connect storms); callers fall back as their strategy says.</item>
/// <item>An invalidation that could not be delivered is remembered by partition
/// (<see cref="RememberMissedInvalidation"/>). Before anything else is read from Redis again, those
/// partitions' generations are bumped, so no stale entry survives the outage; until the bump
/// lands every call fails as unavailable.</item>
/// <item>After a lost connection, the servers' identities (<c>run_id</c> of each primary) are
/// compared with those seen before. A different one means Redis restarted (from its AOF or RDB)
/// or failed over: its entries predate writes that other instances made while it was gone and
/// whose invalidations this instance cannot know of, so every store-backed partition's generation
/// is bumped before Redis is read again (a restarted Redis costs one cold cache, never a stale read).</item>
/// </list>
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ResiliencePipeline _breaker;
    private readonly CircuitBreakerStateProvider _circuit;
    private readonly SidecarMetrics _metrics;
    private readonly ILogger<RedisConnection> _logger;
    private readonly ConcurrentDictionary<(string Ns, int Partition), NamespacePolicy> _missedInvalidations = new();
    private const string ServerInfoScript = "return redis.call('INFO', 'server')";

    private readonly SemaphoreSlim _replayLock = new(1, 1);
    private readonly NamespaceRegistry _namespaces;

    /// <summary>Set when a connection is lost: the servers must be identified before Redis is used.</summary>
    private volatile bool _identifyServers = true;

    /// <summary>The primaries' run_ids when last identified; null before the first identification.</summary>
    private string? _serverIdentity;

    public RedisConnection(IOptions<SidecarOptions> options, NamespaceRegistry namespaces, TimeProvider time,
        SidecarMetrics metrics, ILogger<RedisConnection> logger)
    {
        _metrics = metrics;
        _logger = logger;
        _namespaces = namespaces;
        var redis = options.Value.Redis;
        var configuration = ConfigurationOptions.Parse(redis.Configuration!);
        // Start even when Redis is down (the store still serves), and fail commands at once
        // while disconnected instead of queueing them behind a reconnect.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 2000);
        configuration.AsyncTimeout = Math.Min(configuration.AsyncTimeout, 2000);
        configuration.ClientName ??= "cachesidecar";
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        Description = $"Redis ({configuration.EndPoints.Count} endpoint(s))";
        KeyPrefix = redis.KeyPrefix;

        var circuit = new CircuitBreakerStateProvider();
        _circuit = circuit;
        metrics.ObserveCircuit(() => (int)circuit.CircuitState);
        _breaker = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = redis.CircuitFailureRatio,
                MinimumThroughput = redis.CircuitMinimumThroughput,
                SamplingDuration = redis.CircuitSamplingDuration,
                BreakDuration = redis.CircuitBreakDuration,
                ShouldHandle = new PredicateBuilder()
                    .Handle<RedisException>().Handle<RedisTimeoutException>().Handle<TimeoutException>(),
                StateProvider = circuit,
            })
            .Build();
        // Set before the multiplexer reconnects, so no call can use a restarted Redis unchecked.
        _multiplexer.ConnectionFailed += (_, _) => _identifyServers = true;
        _multiplexer.ConnectionRestored += (_, _) => _ = ReconcileAsync();
    }

    public string Description { get; }

    /// <summary>The deployment's key prefix (<c>Sidecar:Redis:KeyPrefix</c>).</summary>
    public string KeyPrefix { get; }

    /// <summary>Partitions whose generation must be bumped once Redis is reachable (for tests and metrics).</summary>
    public int MissedInvalidationCount => _missedInvalidations.Count;

    public bool IsConnected => _multiplexer.IsConnected;

    /// <summary>
    /// Whether a call would use Redis now, without a round trip: connected, the circuit not open,
    /// and nothing left to reconcile (a reconciliation due is run first).
    /// </summary>
    public async ValueTask<bool> IsUsableAsync() =>
        await ReconciledAsync().ConfigureAwait(false)
        && _multiplexer.IsConnected && _circuit.CircuitState != CircuitState.Open;

    /// <summary>Raised when either connection (interactive or pub/sub) is lost.</summary>
    public event EventHandler<ConnectionFailedEventArgs> ConnectionFailed
    {
        add => _multiplexer.ConnectionFailed += value;
        remove => _multiplexer.ConnectionFailed -= value;
    }

    /// <summary>Raised when a connection is back.</summary>
    public event EventHandler<ConnectionFailedEventArgs> ConnectionRestored
    {
        add => _multiplexer.ConnectionRestored += value;
        remove => _multiplexer.ConnectionRestored -= value;
    }

    public ISubscriber Subscriber => _multiplexer.GetSubscriber();

    public IServer Server(System.Net.EndPoint endpoint) => _multiplexer.GetServer(endpoint);

    public System.Net.EndPoint[] EndPoints() => _multiplexer.GetEndPoints();

    /// <summary>A PING outside the breaker: health checks must see Redis itself, not the circuit.</summary>
    public Task<TimeSpan> PingAsync() => _multiplexer.GetDatabase().PingAsync();

    /// <summary>
    /// Remembers that an invalidation of <paramref name="partition"/> did not reach Redis: its
    /// generation is bumped before Redis is used again.
    /// </summary>
    public void RememberMissedInvalidation(NamespacePolicy ns, int partition) =>
        _missedInvalidations.TryAdd((ns.Name, partition), ns);

    /// <summary>
    /// Runs one Redis step through the breaker, the caller's deadline and the error mapping:
    /// any Redis failure surfaces as <see cref="CacheUnavailableException"/>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        if (!await ReconciledAsync().ConfigureAwait(false))
        {
            // Until the bump lands, this Redis may hold entries that should be gone: don't use it.
            throw new CacheUnavailableException(_multiplexer.IsConnected
                ? "The cache tier (Redis) is unavailable until the invalidations it missed are replayed."
                : "The cache tier (Redis) is unavailable: not connected.");
        }

        var started = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            // StackExchange.Redis commands take no token; WaitAsync lets the caller's deadline end the wait.
            var result = await _breaker.ExecuteAsync(
                static async (state, token) => await state.operation(state.db).WaitAsync(token).ConfigureAwait(false),
                (operation, db: _multiplexer.GetDatabase()),
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
            _metrics.RedisCall(ok, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// Whether nothing is left to reconcile. Before anything is read from a Redis that missed
    /// invalidations (or restarted), the partitions concerned are bumped first (a timeout-only
    /// outage raises no ConnectionRestored event, so callers trigger it too).
    /// </summary>
    private async ValueTask<bool> ReconciledAsync()
    {
        if (_identifyServers || !_missedInvalidations.IsEmpty)
        {
            await ReconcileAsync().ConfigureAwait(false);
        }

        return !_identifyServers && _missedInvalidations.IsEmpty;
    }

    /// <summary>
    /// Identifies the servers if a connection was lost, then bumps the generation of every
    /// partition whose invalidation was missed. Callers wait for a reconciliation already in
    /// progress, so no read runs ahead of the bump.
    /// </summary>
    private async Task ReconcileAsync()
    {
        if (!_identifyServers && _missedInvalidations.IsEmpty)
        {
            return;
        }

        await _replayLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_identifyServers)
            {
                await IdentifyServersAsync().ConfigureAwait(false);
            }

            var db = _multiplexer.GetDatabase();
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

    /// <summary>
    /// Compares the primaries' run_ids with those seen before; a change marks every partition of
    /// every store-backed namespace as missed. Pure-cache namespaces are left alone: their entries
    /// are the data, and nobody can have written them anywhere else.
    /// </summary>
    private async Task IdentifyServersAsync()
    {
        var ids = new List<string>();
        foreach (var endpoint in _multiplexer.GetEndPoints())
        {
            var server = _multiplexer.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            try
            {
                // INFO itself needs the client's admin mode; the same INFO through EVAL does not.
                var info = (string?)await server.ExecuteAsync("EVAL", ServerInfoScript, 0).ConfigureAwait(false);
                var runId = info?.Split('\n')
                    .Select(line => line.Trim())
                    .FirstOrDefault(line => line.StartsWith("run_id:", StringComparison.Ordinal));
                ids.Add($"{endpoint}={runId}");
            }
            catch (RedisServerException ex)
            {
                // INFO refused (ACL, renamed command): restarts cannot be detected; say so once and go on.
                SidecarLog.RedisIdentityUnknown(_logger, ex.Message);
                _identifyServers = false;
                return;
            }
        }

        if (ids.Count == 0)
        {
            return; // not connected yet: identify on the next call
        }

        var identity = string.Join(',', ids.Order(StringComparer.Ordinal));
        if (_serverIdentity is not null && identity != _serverIdentity)
        {
            var partitions = 0;
            foreach (var ns in _namespaces.All.Where(ns => ns.HasStore))
            {
                for (var partition = 0; partition < ns.Partitions; partition++)
                {
                    RememberMissedInvalidation(ns, partition);
                    partitions++;
                }
            }

            SidecarLog.RedisRestarted(_logger, partitions);
        }

        _serverIdentity = identity;
        _identifyServers = false;
    }

    public void Dispose()
    {
        _multiplexer.Dispose();
        _replayLock.Dispose();
    }
}
