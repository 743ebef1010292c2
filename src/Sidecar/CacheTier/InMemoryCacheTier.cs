using System.Collections.Concurrent;
using CacheSidecar.Configuration;
using CacheSidecar.Core;

namespace CacheSidecar.CacheTier;

/// <summary>
/// The embedded default's cache tier (§7): the same semantics as the Redis scripts (leases,
/// version guards, partition generations, fail-safe retention) in one process's memory.
/// Lock striping by key keeps every operation atomic without a global lock.
/// </summary>
internal sealed class InMemoryCacheTier : ICacheTier
{
    /// <param name="Tags">The entry's tags with the generation each had when it was written.</param>
    private sealed record Slot(CacheEntry Entry, long Generation, DateTimeOffset RemoveAt,
        (string Tag, long Generation)[]? Tags = null);

    private sealed record LeaseRecord(string Token, long Generation, DateTimeOffset ExpiresAt);

    private readonly ConcurrentDictionary<(string Ns, string Key), Slot> _entries = new();
    private readonly ConcurrentDictionary<(string Ns, string Key), LeaseRecord> _leases = new();
    private readonly ConcurrentDictionary<(string Ns, int Partition), long> _generations = new();
    private readonly ConcurrentDictionary<(string Ns, string Tag), long> _tagGenerations = new();
    private readonly object[] _stripes = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();
    private readonly TimeProvider _time;
    private long _writesSinceSweep;

    public InMemoryCacheTier(TimeProvider time) => _time = time;

    public string Description => "in-process memory (embedded default; not shared between instances)";

    public ValueTask<bool> IsUsableAsync() => ValueTask.FromResult(true);

    /// <remarks>No pending records here: write-behind runs as write-through on this tier (§7).</remarks>
    public Task<CacheLookup> LookupAsync(NamespacePolicy ns, string key, string? leaseToken, bool readPending,
        CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            var expired = false;
            CacheEntry? entry = null;
            if (_entries.TryGetValue(id, out var slot) && slot.Generation == generation && slot.RemoveAt > now
                && TagsCurrent(ns.Name, slot))
            {
                entry = slot.Entry;
                if (slot.Entry.ExpiresAt > now)
                {
                    return Task.FromResult(new CacheLookup(LookupState.Hit, entry, LeaseState.NotRequested));
                }

                expired = true;
            }

            var lease = LeaseState.NotRequested;
            if (leaseToken is not null)
            {
                if (_leases.TryGetValue(id, out var held) && held.ExpiresAt > now)
                {
                    lease = LeaseState.HeldByOther;
                }
                else
                {
                    _leases[id] = new LeaseRecord(leaseToken, generation, now + ns.LeaseTtl);
                    lease = LeaseState.Granted;
                }
            }

            return Task.FromResult(expired
                ? new CacheLookup(LookupState.Expired, entry, lease)
                : new CacheLookup(LookupState.Miss, null, lease));
        }
    }

    public Task<bool> FillAsync(NamespacePolicy ns, string key, CacheEntry entry, string? leaseToken,
        CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            if (leaseToken is null
                || !_leases.TryGetValue(id, out var lease)
                || lease.Token != leaseToken
                || lease.Generation != generation
                || lease.ExpiresAt <= now)
            {
                KeepLoadedVersion(id, entry, now);
                return Task.FromResult(false);
            }

            _leases.TryRemove(id, out _);
            if (_entries.TryGetValue(id, out var current)
                && current.Generation == generation
                && current.Entry.Version > entry.Version)
            {
                return Task.FromResult(false);
            }

            Store(ns, id, entry, generation, now);
            return Task.FromResult(true);
        }
    }

    public Task<bool> SetIfNewerAsync(NamespacePolicy ns, string key, CacheEntry entry,
        CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            // Any version in the slot counts, also a floor's or an older generation's; the same version
            // only from a live entry (as in Redis).
            if (_entries.TryGetValue(id, out var current)
                && current.RemoveAt > now
                && (current.Entry.Version > entry.Version
                    || (current.Entry.Version == entry.Version && current.Generation == generation)))
            {
                return Task.FromResult(false);
            }

            _leases.TryRemove(id, out _);
            Store(ns, id, entry, generation, now);
            return Task.FromResult(true);
        }
    }

    public Task<CacheWriteResult> PutAssigningVersionAsync(NamespacePolicy ns, string key, CacheEntry entry,
        long? ifMatch, bool ifAbsent, CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            var current = Live(id, generation, now);
            var currentVersion = current?.Version ?? 0;
            if (ifMatch is { } expected && (current is null || current.IsNegative || currentVersion != expected))
            {
                return Task.FromResult(new CacheWriteResult(true, 0));
            }

            if (ifAbsent && current is { IsNegative: false } && current.ExpiresAt > now)
            {
                return Task.FromResult(new CacheWriteResult(true, 0));
            }

            var version = Versions.Next(_time, currentVersion);
            _leases.TryRemove(id, out _);
            Store(ns, id, entry with { Version = version }, generation, now);
            return Task.FromResult(new CacheWriteResult(false, version));
        }
    }

    public Task<CounterWriteResult> IncrementAssigningVersionAsync(NamespacePolicy ns, string key, long delta,
        DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            var current = Live(id, generation, now);
            long counter = 0;
            var contentType = Counter.ContentType;
            if (current is { IsNegative: false } && current.ExpiresAt > now)
            {
                if (!Counter.TryParse(current.Value.Span, current.ContentType, out counter))
                {
                    return Task.FromResult(new CounterWriteResult(IncrementStatus.NotACounter));
                }

                contentType = current.ContentType;
            }

            if (Counter.Add(counter, delta) is not { } sum)
            {
                return Task.FromResult(new CounterWriteResult(IncrementStatus.Overflow));
            }

            var version = Versions.Next(_time, current?.Version ?? 0);
            _leases.TryRemove(id, out _);
            Store(ns, id, new CacheEntry(Counter.Format(sum), contentType, version, false, expiresAt), generation, now);
            return Task.FromResult(new CounterWriteResult(IncrementStatus.Applied, sum, version));
        }
    }

    public Task<(bool PreconditionFailed, bool Deleted)> DeleteIfMatchAsync(NamespacePolicy ns, string key,
        long? ifMatch, CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var current = Live(id, Generation(ns, key), _time.GetUtcNow());
            var live = current is { IsNegative: false };
            if (ifMatch is { } expected && (!live || current!.Version != expected))
            {
                return Task.FromResult((true, false));
            }

            _entries.TryRemove(id, out _);
            _leases.TryRemove(id, out _);
            return Task.FromResult((false, live));
        }
    }

    public Task<bool> InvalidateOlderAsync(NamespacePolicy ns, string key, long? version,
        CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var found = _entries.TryGetValue(id, out var current);
            if (version is { } changed
                && found
                && current!.Generation == Generation(ns, key)
                && current.Entry.Version >= changed)
            {
                return Task.FromResult(false);
            }

            _leases.TryRemove(id, out _);
            var floor = Math.Max(found ? current!.Entry.Version : 0, version ?? 0);
            LeaveFloor(id, floor, found ? current!.RemoveAt : DateTimeOffset.MinValue);
            return Task.FromResult(true);
        }
    }

    public Task<bool> InvalidateAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var leaseDropped = _leases.TryRemove(id, out _);
            if (!_entries.TryGetValue(id, out var current))
            {
                return Task.FromResult(leaseDropped);
            }

            LeaveFloor(id, current.Entry.Version, current.RemoveAt);
            return Task.FromResult(leaseDropped || current.Generation != VersionFloor.Generation);
        }
    }

    public Task<TimeSpan?> TouchAsync(NamespacePolicy ns, string key, TimeSpan ttl,
        CancellationToken cancellationToken)
    {
        var id = (ns.Name, key);
        lock (Stripe(id))
        {
            var now = _time.GetUtcNow();
            var generation = Generation(ns, key);
            var current = Live(id, generation, now);
            if (current is null || current.IsNegative || current.ExpiresAt <= now)
            {
                return Task.FromResult<TimeSpan?>(null);
            }

            Store(ns, id, current with { ExpiresAt = now + ttl }, generation, now);
            return Task.FromResult<TimeSpan?>(ttl);
        }
    }

    public Task InvalidateNamespaceAsync(NamespacePolicy ns, CancellationToken cancellationToken)
    {
        for (var partition = 0; partition < ns.Partitions; partition++)
        {
            _generations.AddOrUpdate((ns.Name, partition), 1, (_, g) => g + 1);
        }

        return Task.CompletedTask;
    }

    /// <summary>A dropped fill's version as a floor, unless the slot holds a newer one (as in Redis).</summary>
    private void KeepLoadedVersion((string, string) id, CacheEntry loaded, DateTimeOffset now)
    {
        if (loaded.IsNegative)
        {
            return;
        }

        var found = _entries.TryGetValue(id, out var current) && current.RemoveAt > now;
        if (!found || current!.Entry.Version < loaded.Version)
        {
            LeaveFloor(id, loaded.Version, found ? current!.RemoveAt : DateTimeOffset.MinValue);
        }
    }

    /// <summary>
    /// Replaces the slot with a <see cref="VersionFloor"/> (nothing when there is no version to keep).
    /// </summary>
    private void LeaveFloor((string, string) id, long version, DateTimeOffset removeAt)
    {
        if (version <= 0)
        {
            _entries.TryRemove(id, out _);
            return;
        }

        var now = _time.GetUtcNow();
        var keepUntil = removeAt > now + VersionFloor.Lifetime ? removeAt : now + VersionFloor.Lifetime;
        var floor = CacheEntry.Negative(now) with { Version = version };
        _entries[id] = new Slot(floor, VersionFloor.Generation, keepUntil);
    }

    private CacheEntry? Live((string Ns, string Key) id, long generation, DateTimeOffset now) =>
        _entries.TryGetValue(id, out var slot) && slot.Generation == generation && slot.RemoveAt > now
            && TagsCurrent(id.Ns, slot)
            ? slot.Entry
            : null;

    private void Store(NamespacePolicy ns, (string, string) id, CacheEntry entry, long generation, DateTimeOffset now)
    {
        var keep = PhysicalTtl.StaleWindow(ns);
        var tags = entry.Tags?.Select(tag => (tag, TagGeneration(ns.Name, tag))).ToArray();
        _entries[id] = new Slot(entry, generation, entry.ExpiresAt + keep, tags);
        if (Interlocked.Increment(ref _writesSinceSweep) % 4096 == 0)
        {
            Sweep(now);
        }
    }

    /// <summary>Drops physically expired entries now and then, so memory does not grow with dead keys.</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (id, slot) in _entries)
        {
            if (slot.RemoveAt <= now)
            {
                _entries.TryRemove(new KeyValuePair<(string, string), Slot>(id, slot));
            }
        }
    }

    public Task InvalidateTagsAsync(NamespacePolicy ns, IReadOnlyCollection<string> tags,
        CancellationToken cancellationToken)
    {
        foreach (var tag in tags)
        {
            _tagGenerations.AddOrUpdate((ns.Name, tag), 1, (_, generation) => generation + 1);
        }

        return Task.CompletedTask;
    }

    /// <summary>An entry counts only while each of its tags has the generation it had when it was written.</summary>
    private bool TagsCurrent(string ns, Slot slot) =>
        slot.Tags is null || Array.TrueForAll(slot.Tags, t => TagGeneration(ns, t.Tag) == t.Generation);

    private long TagGeneration(string ns, string tag) => _tagGenerations.TryGetValue((ns, tag), out var g) ? g : 0;

    private long Generation(NamespacePolicy ns, string key) =>
        _generations.TryGetValue((ns.Name, ns.PartitionOf(key)), out var g) ? g : 0;

    private object Stripe((string Ns, string Key) id) => _stripes[(id.GetHashCode() & int.MaxValue) % _stripes.Length];
}
