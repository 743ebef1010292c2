using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.Load;

/// <summary>One closed-loop scenario's numbers plus the work one call caused elsewhere.</summary>
/// <param name="Load">Throughput and latency.</param>
/// <param name="RedisCommandsPerCall">Redis commands processed per completed call, warm-up included (approximate).</param>
/// <param name="MongoCommandsPerCall">MongoDB commands (handshakes excluded) per completed call.</param>
/// <param name="SidecarCpuPerCall">Sidecar process CPU time (user + system) per completed call, warm-up included; null when not read.</param>
/// <param name="RedisCpuPerCall">redis-server CPU time per completed call, warm-up included; null when not read.</param>
/// <param name="BenchCpuPerCall">This process's CPU time per completed call (the load generator and its client; the in-process MongoDB test server too, when a row writes the store).</param>
internal sealed record ScenarioResult(
    LoadResult Load,
    double RedisCommandsPerCall,
    double MongoCommandsPerCall,
    TimeSpan? SidecarCpuPerCall = null,
    TimeSpan? RedisCpuPerCall = null,
    TimeSpan? BenchCpuPerCall = null);

/// <summary>
/// Runs closed-loop scenarios one after another and, around each, reads the backends' command
/// counters and the CPU time of the sidecar and redis-server, so each row says what one call cost.
/// </summary>
internal sealed class ScenarioMeter(BackingServers servers, SidecarProcess? sidecar, int concurrency, TimeSpan duration)
{
    private readonly List<ScenarioResult> _results = [];
    private readonly SidecarProcess? _sidecar = sidecar;

    public IReadOnlyList<ScenarioResult> Results => _results;

    /// <summary>
    /// Runs one scenario (warm-up, then the measured window) and prints its ops/s. <paramref name="target"/>:
    /// the sidecar the scenario calls, when it is not the meter's own (its CPU is the one read).
    /// </summary>
    public async Task<ScenarioResult> MeasureAsync(
        string name, Operation operation, CancellationToken cancellationToken, string? unit = null, int perCall = 1, SidecarProcess? target = null)
    {
        var called = target ?? _sidecar;
        Console.Write($"  {name} ... ");
        var redisBefore = await servers.RedisCommandsAsync();
        var mongoBefore = servers.MongoCommands;
        var sidecarCpuBefore = called is null ? null : ProcessStats.CpuTime(called.Pid);
        var redisCpuBefore = ProcessStats.CpuTime(servers.RedisPid);
        var benchCpuBefore = ProcessStats.CpuTime(Environment.ProcessId);
        var load = await ClosedLoopLoad.RunAsync(name, concurrency, BenchOptions.WarmUp, duration, operation, cancellationToken);
        var sidecarCpuAfter = called is null ? null : ProcessStats.CpuTime(called.Pid);
        var redisCpuAfter = ProcessStats.CpuTime(servers.RedisPid);
        var benchCpuAfter = ProcessStats.CpuTime(Environment.ProcessId);
        var redisCommands = await servers.RedisCommandsAsync() - redisBefore;
        var mongoCommands = servers.MongoCommands - mongoBefore;
        called?.ThrowIfExited();
        var calls = Math.Max(1, load.CompletedIncludingWarmUp);
        var result = new ScenarioResult(
            load,
            (double)redisCommands / calls,
            (double)mongoCommands / calls,
            PerCall(sidecarCpuBefore, sidecarCpuAfter, calls),
            PerCall(redisCpuBefore, redisCpuAfter, calls),
            PerCall(benchCpuBefore, benchCpuAfter, calls));
        _results.Add(result);
        var extra = unit is null ? "" : $" ({load.OperationsPerSecond * perCall:N0} {unit}/s)";
        Console.WriteLine($"{load.OperationsPerSecond:N0} ops/s{extra}{(load.FirstProblem is null ? "" : $"  !! {load.Errors} errors, {load.Unexpected} unexpected; first: {load.FirstProblem}")}");
        return result;
    }

    private static TimeSpan? PerCall(TimeSpan? before, TimeSpan? after, long calls) =>
        before is { } b && after is { } a ? (a - b) / calls : null;
}
