using CacheSidecar.Configuration;
using CacheSidecar.Core;
using CacheSidecar.Logging;
using CacheSidecar.Store;
using CacheSidecar.Strategies;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// Flushes one write-behind namespace, as one consumer of the group. A round:
/// <list type="number">
/// <item>reads each partition's log: entries this consumer already holds (after a failure or a
/// restart), new entries, and now and then entries a silent consumer left behind (XAUTOCLAIM);</item>
/// <item>claims the keys' pending records (a key is flushed by one consumer at a time) and takes
/// their newest value, so several writes to one key coalesce into one store write;</item>
/// <item>writes them with version-guarded, unordered bulk writes;</item>
/// <item>removes each pending record whose version is unchanged, then acknowledges and deletes
/// the entries.</item>
/// </list>
/// A round that fails on the store or Redis releases its claims and is retried with exponential
/// back-off (Polly); nothing is acknowledged that the store does not hold. A document the store
/// refuses is retried on later rounds and, after <c>MaxAttempts</c>, moved to the dead-letter stream.
/// </summary>
internal sealed partial class NamespaceFlusher
{
    private readonly NamespacePolicy _ns;
    private readonly WriteBehindOptions _policy;
    private readonly string _consumer;
    private readonly RedisWriteBehindLog _log;
    private readonly IRecordStore _store;
    private readonly WriteBehindMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IInvalidationBroadcast? _broadcast;
    private readonly ResiliencePipeline<RoundResult> _retry;

    /// <summary>
    /// How often a flusher reads its own unacknowledged entries in every partition, even where it
    /// believes it holds none. Around a Redis restart a read can hand entries to this consumer
    /// without this flusher ever seeing them (observed: an XREADGROUP executed after the client had
    /// given up on it, then an empty read cleared the flag); without this sweep they would wait for
    /// the reclaim after ReclaimAfter (30 s). 16 cheap reads a second per namespace.
    /// </summary>
    private static readonly TimeSpan OwnEntriesSweepInterval = TimeSpan.FromSeconds(1);

    // Partitions where this consumer holds unacknowledged entries (all of them at start: a
    // restarted instance with the same consumer name resumes its own entries first).
    private readonly bool[] _holdsEntries;

    // Refusals per key and version, and when a refused key may be tried again.
    private readonly Dictionary<(string Key, long Version), int> _attempts = [];
    private readonly Dictionary<string, DateTimeOffset> _notBefore = new(StringComparer.Ordinal);
    private DateTimeOffset _nextReclaim;

    // When every partition's own entries are read again, whatever _holdsEntries says.
    private DateTimeOffset _nextOwnEntriesSweep;

    public NamespaceFlusher(NamespacePolicy ns, string consumer, RedisWriteBehindLog log, IRecordStore store,
        WriteBehindMetrics metrics, TimeProvider time, ILogger logger, IInvalidationBroadcast? broadcast = null)
    {
        _broadcast = broadcast;
        _ns = ns;
        _policy = ns.WriteBehind;
        _consumer = consumer;
        _log = log;
        _store = store;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _holdsEntries = Enumerable.Repeat(true, ns.Partitions).ToArray();
        _nextReclaim = time.GetUtcNow();
        _retry = new ResiliencePipelineBuilder<RoundResult> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<RoundResult>
            {
                ShouldHandle = new PredicateBuilder<RoundResult>()
                    .Handle<StoreUnavailableException>().Handle<CacheUnavailableException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _policy.RetryBaseDelay,
                MaxDelay = _policy.RetryMaxDelay,
                OnRetry = args =>
                {
                    _metrics.Retried(_ns.Name);
                    SidecarLog.WriteBehindFlushRetry(
                        _logger, _ns.Name, args.RetryDelay, args.Outcome.Exception?.Message ?? "unknown");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Flushes until <paramref name="stoppingToken"/> fires, then drains this consumer's own entries
    /// until <paramref name="drainDeadline"/>.
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken, CancellationToken drainDeadline)
    {
        try
        {
            await _retry.ExecuteAsync(
                async token =>
                {
                    await _log.EnsureGroupsAsync(_ns, token).ConfigureAwait(false);
                    return RoundResult.Idle;
                },
                stoppingToken).ConfigureAwait(false);
            SidecarLog.WriteBehindFlusherStarted(
                _logger, _ns.Name, _consumer, _ns.Partitions, _policy.BatchSize, _policy.FlushInterval);

            while (!stoppingToken.IsCancellationRequested)
            {
                RoundResult round;
                try
                {
                    round = await _retry.ExecuteAsync(
                            _ => new ValueTask<RoundResult>(RoundAsync(ownEntriesOnly: false)),
                            stoppingToken)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Anything unexpected (a Redis error reply, a bug): never stop flushing for
                    // good. Log it, back off, make sure the groups exist, and go again.
                    _metrics.Retried(_ns.Name);
                    SidecarLog.WriteBehindRoundFailed(_logger, _ns.Name, ex);
                    await Task.Delay(_policy.RetryMaxDelay, _time, stoppingToken).ConfigureAwait(false);
                    await EnsureGroupsQuietlyAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                if (!round.FullBatch)
                {
                    await Task.Delay(_policy.FlushInterval, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: drain below.
        }

        await DrainAsync(drainDeadline).ConfigureAwait(false);
    }

    private async Task EnsureGroupsQuietlyAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _log.EnsureGroupsAsync(_ns, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CacheUnavailableException or RedisException)
        {
            // The next round reports it.
        }
    }

    /// <summary>Flushes the entries this consumer holds, then leaves the group if it holds none.</summary>
    private async Task DrainAsync(CancellationToken deadline)
    {
        var remaining = 0;
        try
        {
            while (!deadline.IsCancellationRequested)
            {
                // No back-off here: a failure ends the drain (the entries stay in Redis for others).
                var round = await RoundAsync(ownEntriesOnly: true).WaitAsync(deadline).ConfigureAwait(false);
                remaining = round.Unfinished;
                if (round.Read == 0 || round.Unfinished == round.Read)
                {
                    // Nothing held, or only keys another flusher is writing: leave them to it.
                    break;
                }
            }

            for (var p = 0; p < _ns.Partitions; p++)
            {
                await _log.RetireConsumerAsync(_ns, p, _consumer, deadline).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException
            or CacheUnavailableException
            or StoreUnavailableException
            or RedisException)
        {
            // Out of time or out of reach: what is left stays acknowledged in Redis, and another
            // instance reclaims it after ReclaimAfter.
        }

        SidecarLog.WriteBehindDrained(_logger, _ns.Name, remaining);
    }
}
