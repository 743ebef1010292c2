using System.Diagnostics;
using CacheSidecar.Bench.Load;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// Part 2: "another service" writes through sidecar B a key the application holds in its near cache (fed by
/// sidecar A's stream); how long until the application stops answering the old value. Per write: warm the key
/// into the near cache, arm the <see cref="InvalidationProbe"/>, Put a new value through B with a plain gRPC
/// client, and time the SDK's drop against the moment the Put returned. Two phases of the same writes: quiet
/// (nothing else runs; one read after the drop must already return the new value) and with a hot reader (a
/// caller reads the key back to back through the write, as a busy service would), which counts the reads of
/// the old value and when the last one happened.
/// </summary>
internal sealed class InvalidationRounds(SdkNearRig rig, InvalidationProbe probe, SdkNearOptions options)
{
    /// <summary>Keys the writes rotate over; each write's value carries its own number.</summary>
    public const int KeyCount = 16;

    /// <summary>
    /// The bound the SDK states: a silent stream is declared dead after two heartbeat intervals (default 1 s), and
    /// a dead stream stops all near-cache answers; normal delivery is one pub/sub message and one stream message.
    /// </summary>
    public static readonly TimeSpan Bound = new CacheSidecarClientOptions().InvalidationHeartbeat * 2;

    /// <summary>How long past the bound a reader keeps reading a key that still answers the old value.</summary>
    private static readonly TimeSpan GiveUp = Bound + TimeSpan.FromSeconds(2);

    private readonly string[] _keys = Payload.Keys("sdkinv", KeyCount);
    private long _written;

    /// <summary>Gives every key a value through B and lets the resulting events reach the SDK.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var before = probe.InvalidatedKeyCount;
        foreach (var key in _keys)
        {
            await WriteAsync(key, 0, cancellationToken);
        }

        // So that no event of these writes is taken for the first measured write's.
        var waiting = Stopwatch.StartNew();
        while (probe.InvalidatedKeyCount - before < KeyCount && waiting.Elapsed < GiveUp)
        {
            await Task.Delay(10, cancellationToken);
        }

        await Task.Delay(200, cancellationToken);
    }

    public async Task<InvalidationPhase> RunAsync(bool hotReader, CancellationToken cancellationToken)
    {
        var samples = new List<InvalidationSample>(options.Invalidations);
        for (var i = 0; i < options.Invalidations; i++)
        {
            var key = _keys[i % KeyCount];
            await WarmAsync(key, cancellationToken);
            samples.Add(await MeasureAsync(key, ++_written, hotReader, cancellationToken));
            if ((i + 1) % 100 == 0)
            {
                rig.ThrowIfExited();
                Console.WriteLine($"  {(hotReader ? "hot reader" : "quiet")}: {i + 1} writes");
            }
        }

        return new InvalidationPhase(hotReader ? "hot reader" : "quiet", hotReader, samples);
    }

    private async Task<InvalidationSample> MeasureAsync(string key, long value, bool hotReader,
        CancellationToken cancellationToken)
    {
        var reads = new Reads(value);
        Task? reader = null;
        if (hotReader)
        {
            reader = Task.Run(() => ReadUntilNewAsync(key, reads, cancellationToken), cancellationToken);
            await reads.Started.Task.WaitAsync(GiveUp, cancellationToken);
        }

        var dropped = probe.Arm();
        var sent = Stopwatch.GetTimestamp();
        await WriteAsync(key, value, cancellationToken);
        var returned = Stopwatch.GetTimestamp();
        Volatile.Write(ref reads.PutReturned, returned);
        long? drop = null;
        try
        {
            drop = await dropped.WaitAsync(GiveUp, cancellationToken);
        }
        catch (TimeoutException)
        {
            // No KEYS event: the reads below show whether the old value outlived the bound.
        }

        if (reader is null)
        {
            await ReadUntilNewAsync(key, reads, cancellationToken);
        }
        else
        {
            await reader;
        }

        return reads.Sample(sent, returned, drop);
    }

    /// <summary>Reads until the near cache answers the key from memory (the first read fills it).</summary>
    private async Task WarmAsync(string key, CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.StartNew();
        while (!(await rig.Near.GetAsync<BenchValue>(SdkNearRig.Namespace, key, cancellationToken))!.FromNearCache)
        {
            if (waiting.Elapsed > GiveUp)
            {
                throw new BenchFailedException($"the SDK near cache never answered {key} from memory");
            }
        }
    }

    /// <summary>Reads back to back (no pause: a hot key) until the new value comes back or past the bound.</summary>
    private async Task ReadUntilNewAsync(string key, Reads reads, CancellationToken cancellationToken)
    {
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            var item = await rig.Near.GetAsync<BenchValue>(SdkNearRig.Namespace, key, cancellationToken);
            var end = Stopwatch.GetTimestamp();
            reads.Started.TrySetResult();
            if (reads.Record(start, end, item?.Value.Count) || reads.PastGiveUp(end, GiveUp))
            {
                return;
            }
        }
    }

    private async Task WriteAsync(string key, long value, CancellationToken cancellationToken)
    {
        var request = new PutRequest
        {
            Namespace = SdkNearRig.Namespace,
            Key = key,
            Value = UnsafeByteOperations.UnsafeWrap(BenchValue.Serialize(value)),
            ContentType = Payload.JsonContentType,
        };
        var reply = await rig.Writer.PutAsync(request, cancellationToken: cancellationToken);
        if (!reply.Persisted)
        {
            throw new BenchFailedException($"the Put of {key} through sidecar B was not persisted");
        }
    }
}
