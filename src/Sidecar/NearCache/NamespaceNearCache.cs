using CacheSidecar.Configuration;
using CacheSidecar.Invalidations;
using CacheSidecar.Strategies;
using Microsoft.Extensions.Caching.Memory;

namespace CacheSidecar.NearCache;

/// <summary>
/// One namespace's L1: values this instance read recently, kept in memory for at most
/// <see cref="NearCacheOptions.Ttl"/>, bounded by entries and bytes, and dropped when any instance
/// writes the key (<see cref="NearCacheBus"/>, through the namespace's <see cref="NamespaceFeed"/>, which
/// also decides when it may serve: <see cref="Resume"/>, <see cref="Clear"/>).
/// <para>
/// A read that misses L1 and goes to Redis may race an invalidation: the invalidation can arrive
/// while the read is in flight, and the read would then store the value it replaced. Every
/// invalidation therefore bumps a counter (per key stripe, and per namespace for a clear), and a
/// read only stores its value if the counters it saw before it started are unchanged after it
/// stored it.
/// </para>
/// </summary>
internal sealed class NamespaceNearCache : INamespaceCopy, IDisposable
{
    // Invalidation counters are kept per stripe of keys, not per key, so memory stays fixed.
    // A collision only makes a read skip storing its value.
    private const int StripeCount = 4096;

    // Per-entry bookkeeping (MemoryCache entry, our entry object, the key's string header) charged
    // on top of the value, so MaxBytes bounds the real footprint rather than the payload alone.
    private const int EntryOverheadBytes = 256;

    private readonly MemoryCache _entries;
    private readonly long[] _stripes = new long[StripeCount];
    private readonly long _slotBytes;
    private readonly TimeProvider _time;
    private long _epoch;
    private volatile bool _inSync;

    public NamespaceNearCache(NamespacePolicy ns, TimeProvider time)
    {
        NamespacePolicy = ns;
        Policy = ns.NearCache;
        Namespace = ns.Name;
        _time = time;
        // Every entry is charged at least one slot of MaxBytes / MaxEntries, so one size limit
        // bounds both: at most MaxEntries entries, at most MaxBytes bytes.
        _slotBytes = (Policy.MaxBytes + Policy.MaxEntries - 1) / Policy.MaxEntries;
        _entries = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = Policy.MaxBytes,
            CompactionPercentage = 0.10,
            TrackStatistics = true,
        });
    }

    public string Namespace { get; }

    public NamespacePolicy NamespacePolicy { get; }

    public NearCacheOptions Policy { get; }

    /// <summary>
    /// True while this instance is known to receive every invalidation of the namespace. Until
    /// then (at start, after a lost subscription, after a failed check) nothing is served or stored.
    /// </summary>
    public bool InSync => _inSync;

    public long Count => _entries.GetCurrentStatistics()?.CurrentEntryCount ?? _entries.Count;

    /// <summary>The charged size of all entries, in bytes (each at least MaxBytes / MaxEntries).</summary>
    public long ChargedBytes => _entries.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    public bool TryGet(string key, out ReadResult result)
    {
        if (_inSync && _entries.TryGetValue(key, out var value) && value is Entry entry)
        {
            var now = _time.GetUtcNow().UtcTicks;
            if (now < entry.ServeUntilTicks)
            {
                TimeSpan? remaining = entry.ValueExpiresAtTicks is { } expiresAt
                    ? TimeSpan.FromTicks(expiresAt - now)
                    : null;
                result = new ReadResult(
                    true, entry.Value, entry.ContentType, entry.Version, ReadSource.NearCache, Stale: false, remaining);
                return true;
            }

            _entries.Remove(key);
        }

        result = default;
        return false;
    }

    /// <summary>What a read saw before it started: an invalidation since then voids its value.</summary>
    public ReadTicket BeginRead(string key) =>
        new(Volatile.Read(ref _epoch), Volatile.Read(ref _stripes[StripeOf(key)]));

    /// <summary>Stores a value read from Redis or the store, unless an invalidation overtook the read.</summary>
    public void Offer(string key, ReadTicket ticket, in ReadResult result)
    {
        // Only fresh values: stale (fail-safe) answers and "not found" are not kept.
        if (!_inSync || !result.Found || result.Stale || !IsCurrent(key, ticket))
        {
            return;
        }

        var now = _time.GetUtcNow().UtcTicks;
        long? valueExpiresAt = result.TtlRemaining is { } ttl ? now + ttl.Ticks : null;
        var serveUntil = now + Policy.Ttl.Ticks;
        if (valueExpiresAt is { } expires && expires < serveUntil)
        {
            // Never serve a value past the moment Redis would stop serving it.
            serveUntil = expires;
        }

        if (serveUntil <= now)
        {
            return;
        }

        var entry = new Entry(result.Value, result.ContentType, result.Version, serveUntil, valueExpiresAt);
        var bytes = result.Value.Length + (2L * (key.Length + result.ContentType.Length)) + EntryOverheadBytes;
        using (var cacheEntry = _entries.CreateEntry(key))
        {
            cacheEntry.Value = entry;
            cacheEntry.Size = Math.Max(bytes, _slotBytes);
            // Lets MemoryCache's own scan reclaim entries nobody reads again (its clock, not ours).
            cacheEntry.AbsoluteExpirationRelativeToNow = Policy.Ttl;
        }

        // An invalidation between the check above and the store: it may have removed the key
        // before we stored it, so remove our (possibly older) value ourselves.
        if (!IsCurrent(key, ticket))
        {
            _entries.Remove(key);
        }
    }

    /// <summary>Drops one key: bump first, then remove, so a read in flight cannot store it back.</summary>
    public void Invalidate(string key)
    {
        Interlocked.Increment(ref _stripes[StripeOf(key)]);
        _entries.Remove(key);
    }

    /// <summary>
    /// Drops everything; with <paramref name="stopServing"/>, also stops serving until the next sync.
    /// </summary>
    public void Clear(bool stopServing)
    {
        if (stopServing)
        {
            _inSync = false;
        }

        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    /// <summary>Serving and storing may start: the namespace's feed is in sync (<see cref="NamespaceFeed"/>).</summary>
    public void Resume() => _inSync = true;

    void INamespaceCopy.Drop(IReadOnlyList<string> keys)
    {
        foreach (var key in keys)
        {
            Invalidate(key);
        }
    }

    void INamespaceCopy.DropAll(bool stopServing) => Clear(stopServing);

    public void Dispose() => _entries.Dispose();

    private bool IsCurrent(string key, ReadTicket ticket) =>
        Volatile.Read(ref _epoch) == ticket.Epoch && Volatile.Read(ref _stripes[StripeOf(key)]) == ticket.Stripe;

    private static int StripeOf(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % StripeCount);

    private sealed record Entry(
        ReadOnlyMemory<byte> Value,
        string ContentType,
        long Version,
        long ServeUntilTicks,
        long? ValueExpiresAtTicks);
}
