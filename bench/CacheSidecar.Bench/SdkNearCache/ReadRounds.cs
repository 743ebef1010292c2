using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// Part 1, round by round: every row at every concurrency once per round, so a slow spell on the shared machine
/// costs one run of several rows (which the median absorbs) rather than every run of one row.
/// </summary>
internal sealed class ReadRounds(BackingServers servers, SdkNearRig rig, SdkNearCalls calls, SdkNearOptions options)
{
    private readonly IReadOnlyList<ReadScenario> _scenarios = ReadScenario.All(calls);
    private readonly Dictionary<(string Name, int Concurrency), List<ReadRun>> _runs = [];

    /// <summary>
    /// One unrecorded pass over every row at the highest concurrency: without it the first round's runs would be
    /// the slowest (first use of each path, tiered JIT on two busy cores), as in fastpath, api and uds.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var concurrency = options.Concurrencies[^1];
        foreach (var scenario in _scenarios)
        {
            _ = await ClosedLoopLoad.RunAsync(scenario.Name, concurrency, BenchOptions.WarmUp, TimeSpan.Zero,
                scenario.Operation, cancellationToken);
            rig.ThrowIfExited();
        }
    }

    public async Task RunAsync(int round, CancellationToken cancellationToken)
    {
        foreach (var concurrency in options.Concurrencies)
        {
            Console.WriteLine($"Round {round} of {SdkNearOptions.Rounds}, {concurrency} caller(s):");
            var meter = new ScenarioMeter(servers, rig.A, concurrency, options.Duration);
            foreach (var scenario in _scenarios)
            {
                var result = await meter.MeasureAsync(scenario.Name, scenario.Operation, cancellationToken);
                rig.ThrowIfExited();
                if (!_runs.TryGetValue((scenario.Name, concurrency), out var runs))
                {
                    _runs[(scenario.Name, concurrency)] = runs = [];
                }

                runs.Add(new ReadRun(round, result));
            }
        }
    }

    /// <summary>The rows, concurrency by concurrency, each in table order.</summary>
    public IReadOnlyList<ReadRow> Results() =>
        options.Concurrencies.SelectMany(concurrency => _scenarios.Select(scenario => new ReadRow(
            scenario.Name,
            concurrency,
            scenario.ThroughSidecar,
            _runs.GetValueOrDefault((scenario.Name, concurrency)) ?? []))).ToList();
}
