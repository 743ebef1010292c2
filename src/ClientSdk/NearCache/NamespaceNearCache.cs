using System.Collections.Concurrent;
using CacheSidecar.Contracts.V1;
using Microsoft.Extensions.Caching.Memory;

namespace CacheSidecar.Client.NearCache;

/// <summary>
/// One namespace's values in this process, kept coherent by the sidecar's invalidation stream
/// (<see cref="SidecarNearCache"/>). It answers only between a SYNCED and the next RESET or broken stream;
/// otherwise every read goes to the sidecar and nothing is stored.
/// <para>
/// A read that misses goes to the sidecar and may race an invalidation: the event can arrive while the read is in
/// flight, and the read would then store the value the write replaced. Every invalidation therefore bumps a
/// counter (per key stripe, and per namespace for a clear), and a read stores its value only if the counters it
/// saw before it started are unchanged after it stored it (the sidecar's own L1 does the same).
/// </para>
/// </summary>
internal sealed class NamespaceNearCache : IDisposable
{
    // Invalidation counters per stripe of keys, not per key, so memory stays fixed; a collision only
    // makes a read skip storing its value.
    private const int StripeCount = 4096;

    // Per-entry bookkeeping (MemoryCache entry, our entry, the key) charged on top of the value.
    private const int EntryOverheadBytes = 256;

    private readonly MemoryCache _entries;
    private readonly long[] _stripes = new long[StripeCount];
    private readonly long _slotBytes;
    private readonly NearCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly NearCacheMetrics _metrics;
    private readonly ConcurrentDictionary<string, Task<GetResponse>> _loading = new(StringComparer.Ordinal);
    private readonly Lock _sequenceLock = new();
    private long _epoch;
    private long _sequence = -1;
    private volatile bool _serving;

    public NamespaceNearCache(string @namespace, NearCacheOptions options, TimeProvider time, NearCacheMetrics metrics)
    {
        Namespace = @namespace;
        _options = options;
        _time = time;
        _metrics = metrics;
        // Every entry is charged at least MaxBytes / MaxEntries, so one size limit bounds both.
        _slotBytes = (options.MaxBytes + options.MaxEntries - 1) / options.MaxEntries;
        _entries = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = options.MaxBytes,
            CompactionPercentage = 0.10,
            TrackStatistics = true,
        });
    }

    public string Namespace { get; }

    /// <summary>True between a SYNCED and the next RESET or lost stream: reads may be answered from memory.</summary>
    public bool Serving => _serving;

    public long Count => _entries.GetCurrentStatistics()?.CurrentEntryCount ?? _entries.Count;

    /// <summary>The charged size of all entries, in bytes (each at least MaxBytes / MaxEntries).</summary>
    public long ChargedBytes => _entries.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>
    /// Answers from memory, or loads through <paramref name="load"/>: concurrent misses of one key share one load
    /// (single-flight), and its answer is stored unless an invalidation overtook it.
    /// </summary>
    /// <param name="key">The key to read.</param>
    /// <param name="load">Reads the key from the sidecar; its token is the caller's only when the near cache is
    /// bypassed (a shared load runs on the client's deadline alone).</param>
    /// <param name="cancellationToken">Stops this caller's wait (not a load others share).</param>
    public async ValueTask<(GetResponse Response, bool Hit)> GetAsync(string key,
        Func<string, CancellationToken, Task<GetResponse>> load, CancellationToken cancellationToken)
    {
        if (TryGet(key, out var hit))
        {
            _metrics.Hit(Namespace);
            return (hit, true);
        }

        _metrics.Miss(Namespace);
        var response = _serving
            ? await SharedLoad(key, load).WaitAsync(cancellationToken).ConfigureAwait(false)
            : await load(key, cancellationToken).ConfigureAwait(false);
        return (response, false);
    }

    public bool TryGet(string key, out GetResponse hit)
    {
        if (TryGetEntry(key, out var entry, out var now))
        {
            hit = entry.Answer(now);
            return true;
        }

        hit = null!;
        return false;
    }

    /// <summary>
    /// A hit as the caller's type. With <see cref="NearCacheOptions.ShareInstances"/> the value is decoded once per
    /// entry and that instance is handed to every later hit (as <c>IMemoryCache</c> and FusionCache do): a hit is
    /// then a lookup, not a deserialization, and only the remaining TTL is computed per call.
    /// </summary>
    public bool TryGetItem<T>(string key, Func<GetResponse, CacheItem<T>> decode, out CacheItem<T> item)
    {
        if (!TryGetEntry(key, out var entry, out var now))
        {
            item = null!;
            return false;
        }

        _metrics.Hit(Namespace);
        if (entry.Decoded is not CacheItem<T> decoded || !_options.ShareInstances)
        {
            decoded = decode(entry.Response) with { FromNearCache = true };
            if (_options.ShareInstances)
            {
                entry.Decoded = decoded; // racing hits may each decode once; the last one stays, all are equal
            }
        }

        item = entry.ExpiresAtTicks is { } expiresAt
            ? decoded with { TtlRemaining = TimeSpan.FromTicks(expiresAt - now) }
            : decoded;
        return true;
    }

    /// <summary>What a read saw before it started: an invalidation since then voids its answer.</summary>
    public (long Epoch, long Stripe) BeginRead(string key) =>
        (Volatile.Read(ref _epoch), Volatile.Read(ref _stripes[StripeOf(key)]));

    /// <summary>Stores an answer from the sidecar, unless an invalidation overtook the read.</summary>
    public void Offer(string key, (long Epoch, long Stripe) ticket, GetResponse response)
    {
        // Only fresh values: stale (fail-safe) answers and "not found" are not kept.
        if (!_serving || !response.Found || response.Stale || !IsCurrent(key, ticket))
        {
            return;
        }

        var now = _time.GetUtcNow().UtcTicks;
        long? expiresAt = response.TtlRemaining is { } ttl ? now + ttl.ToTimeSpan().Ticks : null;
        var serveUntil = now + _options.MaxAge.Ticks;
        if (expiresAt is { } expires && expires < serveUntil)
        {
            serveUntil = expires; // never past the moment the sidecar would stop serving it
        }

        if (serveUntil <= now)
        {
            return;
        }

        var bytes = response.Value.Length + (2L * (key.Length + response.ContentType.Length)) + EntryOverheadBytes;
        using (var cacheEntry = _entries.CreateEntry(key))
        {
            cacheEntry.Value = new Entry(response, serveUntil, expiresAt);
            cacheEntry.Size = Math.Max(bytes, _slotBytes);
            cacheEntry.AbsoluteExpirationRelativeToNow = _options.MaxAge; // lets MemoryCache reclaim cold entries
        }

        if (!IsCurrent(key, ticket))
        {
            // An invalidation between the check and the store may have missed our entry: remove it ourselves.
            _entries.Remove(key);
        }
    }

    /// <summary>
    /// SYNCED: every invalidation after <paramref name="sequence"/> follows; start (again) from empty.
    /// </summary>
    public void Synced(long sequence)
    {
        lock (_sequenceLock)
        {
            _sequence = sequence;
            Clear();
            _serving = true;
        }

        _metrics.Cleared(Namespace, "synced");
    }

    /// <summary>KEYS: drops them. A sequence that skips one means an event was lost: everything goes.</summary>
    public void Invalidated(long sequence, IReadOnlyList<string> keys)
    {
        bool gap;
        lock (_sequenceLock)
        {
            gap = _sequence >= 0 && sequence > _sequence + 1;
            _sequence = Math.Max(_sequence, sequence);
        }

        if (gap)
        {
            Clear();
            _metrics.Cleared(Namespace, "gap");
            return;
        }

        foreach (var key in keys)
        {
            Drop(key);
        }

        _metrics.Invalidated(Namespace, keys.Count);
    }

    /// <summary>NAMESPACE or TAGS (entries do not carry their tags here): drops everything, keeps serving.</summary>
    public void InvalidatedAll(long sequence, string reason)
    {
        lock (_sequenceLock)
        {
            _sequence = Math.Max(_sequence, sequence);
        }

        Clear();
        _metrics.Cleared(Namespace, reason);
    }

    /// <summary>
    /// RESET or a lost stream: drops everything and answers nothing from memory until the next SYNCED.
    /// </summary>
    public void Stop(string reason)
    {
        lock (_sequenceLock)
        {
            _serving = false;
            _sequence = -1;
            Clear();
        }

        _metrics.Cleared(Namespace, reason);
    }

    /// <summary>Drops one key: bump first, then remove, so a read in flight cannot store it back.</summary>
    public void Drop(string key)
    {
        Interlocked.Increment(ref _stripes[StripeOf(key)]);
        _entries.Remove(key);
    }

    /// <summary>Drops everything (a clear this process made itself, e.g. InvalidateTags).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    public void Dispose() => _entries.Dispose();

    private Task<GetResponse> SharedLoad(string key, Func<string, CancellationToken, Task<GetResponse>> load)
    {
        while (true)
        {
            if (_loading.TryGetValue(key, out var running))
            {
                return running;
            }

            var ticket = BeginRead(key);
            var started = new TaskCompletionSource<GetResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_loading.TryAdd(key, started.Task))
            {
                continue;
            }

            _ = CompleteLoadAsync(key, ticket, load, started);
            return started.Task;
        }
    }

    // Runs once per key at a time, on the client's deadline rather than one caller's token: a caller that gives
    // up does not fail the others waiting on the same load.
    private async Task CompleteLoadAsync(string key, (long Epoch, long Stripe) ticket,
        Func<string, CancellationToken, Task<GetResponse>> load, TaskCompletionSource<GetResponse> started)
    {
        try
        {
            var response = await load(key, CancellationToken.None).ConfigureAwait(false);
            Offer(key, ticket, response);
            started.TrySetResult(response);
        }
        catch (Exception ex)
        {
            started.TrySetException(ex);
        }
        finally
        {
            _loading.TryRemove(new KeyValuePair<string, Task<GetResponse>>(key, started.Task));
        }
    }

    private bool TryGetEntry(string key, out Entry entry, out long now)
    {
        now = 0;
        if (_serving && _entries.TryGetValue(key, out var value) && value is Entry found)
        {
            now = _time.GetUtcNow().UtcTicks;
            if (now < found.ServeUntilTicks)
            {
                entry = found;
                return true;
            }

            _entries.Remove(key);
        }

        entry = null!;
        return false;
    }

    private bool IsCurrent(string key, (long Epoch, long Stripe) ticket) =>
        Volatile.Read(ref _epoch) == ticket.Epoch && Volatile.Read(ref _stripes[StripeOf(key)]) == ticket.Stripe;

    private static int StripeOf(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % StripeCount);

    private sealed record Entry(GetResponse Response, long ServeUntilTicks, long? ExpiresAtTicks)
    {
        /// <summary>
        /// The value as the type it was last read as (<see cref="NearCacheOptions.ShareInstances"/>).
        /// </summary>
        public object? Decoded { get; set; }

        /// <summary>The stored answer with its remaining TTL counted down to <paramref name="now"/>.</summary>
        public GetResponse Answer(long now)
        {
            if (ExpiresAtTicks is not { } expiresAt)
            {
                return Response;
            }

            var answer = Response.Clone();
            answer.TtlRemaining =
                Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromTicks(expiresAt - now));
            return answer;
        }
    }
}
