using System.Diagnostics;
using System.Text.Json;
using CacheSidecar.Contracts.V1;
using HdrHistogram;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// The end-to-end measure, from outside: after a sampled external write is acknowledged, the sidecar's
/// <c>Get</c> of that key is polled back to back until it returns the new value. The lag is the time
/// from the write's return to the return of that first Get with the new value; the Gets before it
/// returned the old value from the cache ("old reads").
/// </summary>
internal sealed class LagProbes(Cache.CacheClient cache, CancellationToken cancellationToken)
{
    /// <summary>A sample whose new value is not served after this long counts as an error.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly long HighestTrackableTicks = Stopwatch.Frequency * 60;

    private readonly LongHistogram _lags = new(HighestTrackableTicks, 3);
    private readonly LongHistogram _finalGets = new(HighestTrackableTicks, 3);
    private readonly List<Task> _running = [];
    private readonly Lock _gate = new();
    private long _gets;
    private long _oldReads;
    private long _samplesWithOldReads;
    private long _skipped;
    private long _newFromCache;
    private long _notRearmed;
    private long _errors;
    private string? _firstProblem;

    /// <summary>Samples whose new value was seen (the histogram's count).</summary>
    public long Seen => _lags.TotalCount;

    /// <summary>End-to-end lags in Stopwatch ticks.</summary>
    public LongHistogram Lags => _lags;

    /// <summary>
    /// Round trips (ticks) of the Get that returned the new value, usually a miss that read the store:
    /// the part of each lag that is the measuring read itself.
    /// </summary>
    public LongHistogram FinalGets => _finalGets;

    /// <summary>Every Get the polls sent (old reads, new reads and the re-arming Get after each sample).</summary>
    public long Gets => Interlocked.Read(ref _gets);

    /// <summary>Gets that still returned the old value after the write was acknowledged.</summary>
    public long OldReads => Interlocked.Read(ref _oldReads);

    public long SamplesWithOldReads => Interlocked.Read(ref _samplesWithOldReads);

    /// <summary>Writes due for sampling sent to an unsampled key: the next pool key was busy or not cached.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>First new-value reads answered from the cache rather than read through: none are expected.</summary>
    public long NewFromCache => Interlocked.Read(ref _newFromCache);

    /// <summary>Samples after which the key was not confirmed back in the cache (then not sampled again).</summary>
    public long NotRearmed => Interlocked.Read(ref _notRearmed);

    public long Errors => Interlocked.Read(ref _errors);

    public string? FirstProblem => Volatile.Read(ref _firstProblem);

    public void CountSkipped() => Interlocked.Increment(ref _skipped);

    /// <summary>Starts polling for <paramref name="n"/> on a key the caller holds; the poll releases it.</summary>
    public void Start(PoolKey key, long n, long acknowledged)
    {
        var poll = PollAsync(key, n, acknowledged);
        lock (_gate)
        {
            _running.Add(poll);
        }
    }

    /// <summary>Waits for every poll started so far (each ends by itself within <see cref="Timeout"/>).</summary>
    public async Task CompleteAsync()
    {
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running);
    }

    /// <summary>The <c>n</c> field of a JSON object value, or null when it has none.</summary>
    public static long? ReadN(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isN = reader.ValueTextEquals("n"u8);
            reader.Read();
            if (isN && reader.TokenType == JsonTokenType.Number)
            {
                return reader.GetInt64();
            }

            reader.Skip();
        }

        return null;
    }

    private async Task PollAsync(PoolKey key, long n, long acknowledged)
    {
        // Off the writer's continuation at once: the pacer's completions must not wait for a poll.
        await Task.Yield();
        var deadline = acknowledged + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        var oldReads = 0L;
        try
        {
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                var reply = await cache.GetAsync(key.Get, cancellationToken: cancellationToken);
                var now = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _gets);
                var seen = reply.Found ? ReadN(reply.Value.Span) : null;
                if (reply.Found && seen == n)
                {
                    Record(now - acknowledged, now - sent, oldReads, reply.Source);
                    break;
                }

                if (!reply.Found || seen != key.CachedN)
                {
                    Fail(key, $"{key.Key}: expected n={n} or the old n={key.CachedN?.ToString() ?? "(none)"}, "
                        + $"got {(reply.Found ? $"n={seen?.ToString() ?? "(none)"}" : "not found")}");
                    return;
                }

                oldReads++;
                if (now >= deadline)
                {
                    Fail(key, $"{key.Key}: still the old value {Timeout.TotalSeconds:0} s after the write of n={n}");
                    return;
                }
            }

            // The read that saw the new value filled the cache; confirm, so the next sample of this key
            // again starts from a cached old value.
            var again = await cache.GetAsync(key.Get, cancellationToken: cancellationToken);
            Interlocked.Increment(ref _gets);
            key.CachedN = n;
            key.Armed = again is { Found: true, Source: ValueSource.Cache } && ReadN(again.Value.Span) == n;
            if (!key.Armed)
            {
                Interlocked.Increment(ref _notRearmed);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Fail(key, $"{key.Key}: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            key.Release();
        }
    }

    private void Record(long ticks, long finalGet, long oldReads, ValueSource source)
    {
        lock (_gate)
        {
            _lags.RecordValue(Math.Clamp(ticks, 0, HighestTrackableTicks));
            _finalGets.RecordValue(Math.Clamp(finalGet, 0, HighestTrackableTicks));
        }

        Interlocked.Add(ref _oldReads, oldReads);
        if (oldReads > 0)
        {
            Interlocked.Increment(ref _samplesWithOldReads);
        }

        if (source == ValueSource.Cache)
        {
            Interlocked.Increment(ref _newFromCache);
        }
    }

    private void Fail(PoolKey key, string problem)
    {
        // What the cache holds for the key is unknown now: no later sample may rely on it.
        key.Armed = false;
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstProblem, problem, null);
    }
}
