using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Grpc.Net.Client;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// Measures one lever: <see cref="BenchOptions.Starts"/> fresh starts timed to the first gRPC health
/// SERVING, the last of them kept; then the Get-hit keys are prefilled through it and it takes Get hits
/// at <see cref="Rate"/> req/s open loop, while its memory is sampled over the last seconds of the load.
/// </summary>
internal static class LeverMeasurement
{
    /// <summary>The offered load: the rate every other section reports latency at.</summary>
    public const int Rate = 1_000;

    public const int GetKeyCount = 1_000;

    /// <summary>Memory samples at the end of the load, <see cref="SampleInterval"/> apart, the last one just before it ends.</summary>
    public const int MemorySampleCount = 5;

    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>A start slower than this is stuck (the slowest rows, everything JIT-compiled, start in a few seconds).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Between two starts: the killed process's sockets and memory go first.</summary>
    private static readonly TimeSpan BetweenStarts = TimeSpan.FromMilliseconds(500);

    private const int PrefillConcurrency = 16;

    public static string[] GetKeys { get; } = Payload.Keys("g", GetKeyCount);

    public static async Task<LeverResult> RunAsync(
        Lever lever, PublishResult publish, BackingServers servers, BenchOptions options, HttpClient http, CancellationToken cancellationToken)
    {
        var environment = Environment(servers, lever);
        var starts = new List<TimeSpan>();
        FootprintSidecar? sidecar = null;
        for (var i = 1; i <= options.Starts; i++)
        {
            try
            {
                var (started, ready) = await FootprintSidecar.StartAsync(publish, environment, StartTimeout, cancellationToken);
                starts.Add(ready);
                Console.WriteLine($"    start {i}: SERVING after {ready.TotalMilliseconds:N0} ms (pid {started.Pid}, {publish.StartedAs})");
                if (i < options.Starts)
                {
                    await started.DisposeAsync();
                    await Task.Delay(BetweenStarts, cancellationToken);
                }
                else
                {
                    sidecar = started;
                }
            }
            catch (StartFailedException ex)
            {
                Console.WriteLine($"    start {i}: !! {ex.Message}");
                return new LeverResult(lever, publish, starts, null, 0, null, null, $"start failed ({ex.Reason}): {ex.FirstError ?? "no output"}");
            }
        }

        await using (sidecar!)
        {
            return await LoadAsync(lever, publish, sidecar!, starts, options, http, cancellationToken);
        }
    }

    private static async Task<LeverResult> LoadAsync(
        Lever lever, PublishResult publish, FootprintSidecar sidecar, List<TimeSpan> starts, BenchOptions options, HttpClient http, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var cache = new Cache.CacheClient(channel);
        try
        {
            await Prefill.GetHitKeysAsync(cache, BenchNamespaces.GetHit, GetKeys, PrefillConcurrency, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var problem = $"prefill failed: {ex.Message}{Exited(sidecar)}";
            Console.WriteLine($"    !! {problem}");
            return new LeverResult(lever, publish, starts, null, 0, null, null, problem);
        }

        var requests = GetKeys.Select(key => new GetRequest { Namespace = BenchNamespaces.GetHit, Key = key }).ToArray();
        Operation getHit = async (sequence, ct) =>
            (await cache.GetAsync(requests[sequence % requests.Length], cancellationToken: ct))
                is { Found: true, Source: ValueSource.Cache, Value.Length: Payload.ValueBytes };

        var before = await sidecar.TryScrapeMetricsAsync(http, cancellationToken);
        var loadLength = BenchOptions.WarmUp + options.Duration;
        var sampling = SampleAtEndAsync(sidecar.Pid, Stopwatch.GetTimestamp(), loadLength, cancellationToken);
        var load = await OpenLoopLoad.RunAsync(lever.Key, Rate, BenchOptions.WarmUp, options.Duration, getHit, cancellationToken);
        var samples = await sampling;
        var after = await sidecar.TryScrapeMetricsAsync(http, cancellationToken);
        var runtime = RuntimeCounters.From(before, after, sidecar.Pid);

        string? loadProblem = null;
        if (load.Errors > 0 || !load.KeptUp)
        {
            loadProblem = $"{load.Errors:N0} errors{(load.KeptUp ? "" : ", did not keep up")}; first: {load.FirstProblem ?? "–"}{Exited(sidecar)}";
        }

        var coreApi = await CoreApiCheck.RunAsync(cache, BenchNamespaces.GetHit, cancellationToken);
        Console.WriteLine($"    core API ({CoreApiCheck.Calls}): {coreApi ?? "served"}");
        Console.WriteLine($"    {Rate:N0} req/s: p50 {load.PercentileMicroseconds(50):N0} µs, p99 {load.PercentileMicroseconds(99):N0} µs, {load.Errors:N0} errors"
            + (MemorySample.Median(samples) is { } m ? $"; RSS {m.Rss / 1048576.0:F1} MB, private {m.Private / 1048576.0:F1} MB, anonymous {m.Anonymous / 1048576.0:F1} MB" : "; no memory sample"));
        return new LeverResult(lever, publish, starts, MemorySample.Median(samples), samples.Count, load, runtime, loadProblem,
            coreApi, CoreApiChecked: true);
    }

    /// <summary>
    /// <see cref="MemorySampleCount"/> samples, <see cref="SampleInterval"/> apart, the last one
    /// <see cref="SampleInterval"/> before the load's end (its start, 10 ms after <paramref name="loadStarted"/>,
    /// plus warm-up and window): the steady state under the load, not the idle process after it.
    /// </summary>
    private static async Task<IReadOnlyList<MemorySample>> SampleAtEndAsync(int pid, long loadStarted, TimeSpan loadLength, CancellationToken cancellationToken)
    {
        var samples = new List<MemorySample>();
        for (var k = MemorySampleCount; k >= 1; k--)
        {
            var due = loadLength - (SampleInterval * k);
            var wait = due - Stopwatch.GetElapsedTime(loadStarted);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            if (MemorySample.Read(pid) is { } sample)
            {
                samples.Add(sample);
            }
        }

        return samples;
    }

    /// <summary>The bench's Redis and MongoDB, one CacheAside namespace, this lever's knobs and no other's.</summary>
    private static Dictionary<string, string?> Environment(BackingServers servers, Lever lever)
    {
        var environment = BenchNamespaces.Backends(servers).WithCacheAside(BenchNamespaces.GetHit)
            .ToDictionary(pair => pair.Key, pair => (string?)pair.Value, StringComparer.Ordinal);
        foreach (var knob in FootprintLevers.KnobNames)
        {
            environment[knob] = null; // removed: a knob exported in the shell would otherwise reach every row
        }

        foreach (var (name, value) in lever.Knobs)
        {
            environment[name] = value;
        }

        return environment;
    }

    private static string Exited(FootprintSidecar sidecar)
    {
        try
        {
            sidecar.ThrowIfExited();
            return "";
        }
        catch (StartFailedException ex)
        {
            return $" (sidecar {ex.Message})";
        }
    }
}
