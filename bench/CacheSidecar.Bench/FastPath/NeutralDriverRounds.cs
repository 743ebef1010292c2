using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// The C load generators, round by round: h2load on the Get hit and on the no-op RPC, redis-benchmark on
/// the direct GET. They give the serial limit and the Get hit against it without the .NET client's CPU
/// on the shared cores. A missing tool is run once, reported, and not tried again.
/// </summary>
internal sealed class NeutralDriverRounds(BackingServers servers, SidecarProcess sidecar, FastPathCalls calls, BenchOptions options)
{
    /// <summary>redis-benchmark's requests in the warm-up pass, which also measures the rate the rounds' <c>-n</c> is set from.</summary>
    private const long WarmUpRequests = 20_000;

    private readonly List<H2LoadResult> _h2LoadGet = [];
    private readonly List<H2LoadResult> _h2LoadNoOp = [];
    private readonly List<RedisBenchmarkResult> _redisBenchmark = [];
    private double _redisRate = double.NaN;
    private bool _h2LoadMissing;
    private bool _redisBenchmarkMissing;

    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await RedisBenchmarkDriver.PrefillAsync(servers.Redis.GetDatabase());
        var oneSecond = TimeSpan.FromSeconds(1);
        var get = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.GetHit(calls), options.Concurrency, oneSecond, oneSecond, cancellationToken);
        if (get.NotMeasured is not null)
        {
            Missing(get);
        }
        else
        {
            _ = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.ListNamespaces(calls), options.Concurrency, oneSecond, oneSecond, cancellationToken);
        }

        var redis = await RedisBenchmarkDriver.RunAsync(servers, options.Concurrency, WarmUpRequests, cancellationToken);
        if (redis.NotMeasured is not null)
        {
            _redisBenchmarkMissing = true;
            _redisBenchmark.Add(redis);
            Console.WriteLine($"  !! {redis.NotMeasured}");
        }
        else
        {
            _redisRate = redis.RequestsPerSecond;
        }
    }

    public async Task RunAsync(int round, CancellationToken cancellationToken)
    {
        if (!_h2LoadMissing)
        {
            Console.Write("  h2load, Get hit ... ");
            var get = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.GetHit(calls), options.Concurrency, BenchOptions.WarmUp, options.Duration, cancellationToken);
            _h2LoadGet.Add(get);
            Console.WriteLine(Describe(get));
            Console.Write("  h2load, no-op RPC ... ");
            var noOp = await H2LoadCrossCheck.RunAsync(sidecar, H2LoadCrossCheck.ListNamespaces(calls), options.Concurrency, BenchOptions.WarmUp, options.Duration, cancellationToken);
            _h2LoadNoOp.Add(noOp);
            Console.WriteLine(Describe(noOp));
        }

        if (!_redisBenchmarkMissing)
        {
            // No duration option: as many requests as the last run's rate gives in the closed-loop rows' window.
            var requests = (long)Math.Max(WarmUpRequests, (double.IsNaN(_redisRate) ? 50_000 : _redisRate) * options.Duration.TotalSeconds);
            Console.Write($"  redis-benchmark, GET ({requests:N0} requests) ... ");
            var redis = await RedisBenchmarkDriver.RunAsync(servers, options.Concurrency, requests, cancellationToken);
            _redisBenchmark.Add(redis);
            if (redis.NotMeasured is null)
            {
                _redisRate = redis.RequestsPerSecond;
            }

            Console.WriteLine(redis.NotMeasured is null
                ? $"{redis.RequestsPerSecond:N0} req/s, p50 {redis.P50Microseconds:N0} µs, p99 {redis.P99Microseconds:N0} µs; Redis counted {redis.KeyspaceHits:N0} hits, {redis.KeyspaceMisses:N0} misses"
                : $"!! {redis.NotMeasured}");
        }
    }

    public NeutralDriverResults Results() => new(_h2LoadGet, _h2LoadNoOp, _redisBenchmark);

    private void Missing(H2LoadResult result)
    {
        _h2LoadMissing = true;
        _h2LoadGet.Add(result);
        Console.WriteLine($"  !! {result.NotMeasured}");
    }

    private static string Describe(H2LoadResult result) => result.NotMeasured is null
        ? $"{result.RequestsPerSecond:N0} req/s, {result.Succeeded:N0} succeeded, {result.Failed:N0} failed; server counted {result.ServerOkCalls:N0} OK, {result.ServerCancelledCalls:N0} cancelled, {result.ServerOtherCalls:N0} other"
        : $"!! {result.NotMeasured}";
}
