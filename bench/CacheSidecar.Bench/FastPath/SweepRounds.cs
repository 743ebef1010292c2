using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>Part 3, round by round: latency against offered load; each round's series stops at its first step that did not keep up.</summary>
internal sealed class SweepRounds(FastPathCalls calls, FastPathConfiguration configuration, BenchOptions options)
{
    /// <summary>Warm-up of each step.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(string Name, int Offered), List<OpenLoopResult>> _steps = [];

    private IReadOnlyList<(string Name, Operation Operation)> Series =>
    [
        (FastPathScenarios.DirectRedis, calls.DirectRedisGet),
        (FastPathScenarios.GetHit, calls.GetHit),
        .. configuration.NearCache ? [(FastPathScenarios.NearCacheGet, (Operation)calls.NearCacheGet)] : Array.Empty<(string, Operation)>(),
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, operation) in Series)
        {
            Console.WriteLine($"  {name}:");
            foreach (var offered in options.SweepRates)
            {
                Console.Write($"    {offered,6:N0} req/s ... ");
                var step = await OpenLoopLoad.RunAsync(name, offered, WarmUp, options.SweepDuration, operation, cancellationToken);
                if (!_steps.TryGetValue((name, offered), out var runs))
                {
                    _steps[(name, offered)] = runs = [];
                }

                runs.Add(step);
                Console.WriteLine(FastPathCommand.Describe(step));
                if (!step.KeptUp)
                {
                    break; // the next, higher rates would only queue more
                }
            }
        }
    }

    public List<SweepSeries> Results() => Series
        .Select(s => new SweepSeries(s.Name, options.SweepRates
            .Where(offered => _steps.ContainsKey((s.Name, offered)))
            .Select(offered => new SweepStep(offered, _steps[(s.Name, offered)]))
            .ToList()))
        .ToList();
}
