using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// Listens to the SDK's own instruments (meter <c>CacheSidecar.Client</c>) instead of polling the near cache: the
/// SDK adds to <c>cachesidecar.client.near_cache.invalidated_keys</c> right after it removed the keys of a KEYS
/// event, on the thread that applied the event, so the callback's timestamp is the moment the key was dropped
/// (give or take the callback's own call). Also counts whole clears by reason, which tells whether the stream
/// stayed up during the run (anything but the first "synced" means it did not).
/// </summary>
internal sealed class InvalidationProbe : IDisposable
{
    public const string MeterName = "CacheSidecar.Client";
    public const string InvalidatedKeys = "cachesidecar.client.near_cache.invalidated_keys";
    public const string Clears = "cachesidecar.client.near_cache.clears";

    private readonly MeterListener _listener = new();
    private readonly string _namespace;
    private readonly Dictionary<string, long> _clears = new(StringComparer.Ordinal);
    private TaskCompletionSource<long>? _armed;
    private long _invalidatedKeys;

    public InvalidationProbe(string @namespace)
    {
        _namespace = @namespace;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name is InvalidatedKeys or Clears)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Keys of this namespace the SDK dropped on a KEYS event so far.</summary>
    public long InvalidatedKeyCount => Interlocked.Read(ref _invalidatedKeys);

    /// <summary>Whole near-cache clears so far, by reason (synced, reset, stream_lost, gap, namespace, tags).</summary>
    public IReadOnlyDictionary<string, long> ClearsByReason
    {
        get
        {
            lock (_clears)
            {
                return new Dictionary<string, long>(_clears, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Waits for the next KEYS event of the namespace; completes with its <see cref="Stopwatch"/> timestamp. Arm
    /// before the write: its event may reach this process before the writer has its answer.
    /// </summary>
    public Task<long> Arm()
    {
        // Continuations off the stream's thread: the SDK applies the next events while the bench looks at this one.
        var armed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _armed, armed);
        return armed.Task;
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags,
        object? state)
    {
        var dropped = Stopwatch.GetTimestamp();
        if (!Is(tags, "namespace", _namespace))
        {
            return;
        }

        if (instrument.Name == InvalidatedKeys)
        {
            Interlocked.Add(ref _invalidatedKeys, value);
            Interlocked.Exchange(ref _armed, null)?.TrySetResult(dropped);
            return;
        }

        var reason = "unknown";
        foreach (var tag in tags)
        {
            if (tag.Key == "reason" && tag.Value is string text)
            {
                reason = text;
            }
        }

        lock (_clears)
        {
            _clears[reason] = _clears.GetValueOrDefault(reason) + value;
        }
    }

    private static bool Is(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key, string value)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key && tag.Value is string text && text == value)
            {
                return true;
            }
        }

        return false;
    }
}
