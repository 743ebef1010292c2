using System.ComponentModel;
using System.Globalization;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using StackExchange.Redis;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// The direct Redis GET driven by a C load generator: <c>redis-benchmark</c> (redis-tools) against the
/// bench's redis-server, GET of the same 1 KB value over 1,000 keys picked at random (<c>-r 1000</c>
/// expands <c>__rand_int__</c> to a 12-digit number), <c>-c</c> connections with one request in flight
/// each. redis-benchmark has no duration option, so <c>-n</c> is the last run's rate times the
/// duration. Its answers are checked on Redis' side: <c>keyspace_misses</c> must not move.
/// </summary>
internal static class RedisBenchmarkDriver
{
    public const string KeyPrefix = "bench:rb:";
    public const int KeyCount = 1_000;

    /// <summary>What redis-benchmark names a GET key: the prefix and a 12-digit number below <see cref="KeyCount"/>.</summary>
    public const string KeyPattern = KeyPrefix + "__rand_int__";

    /// <summary>Sets the keys redis-benchmark reads to the 1 KB value.</summary>
    public static Task PrefillAsync(IDatabase redis) =>
        Task.WhenAll(Enumerable.Range(0, KeyCount).Select(i =>
            redis.StringSetAsync(string.Create(CultureInfo.InvariantCulture, $"{KeyPrefix}{i:D12}"), Payload.JsonValue)));

    public static async Task<RedisBenchmarkResult> RunAsync(BackingServers servers, int concurrency, long requests, CancellationToken cancellationToken)
    {
        var (host, port) = Split(servers.RedisEndPoint);
        string[] arguments =
        [
            "-h", host, "-p", port, "-c", concurrency.ToString(CultureInfo.InvariantCulture),
            "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", KeyCount.ToString(CultureInfo.InvariantCulture),
            "--csv", "GET", KeyPattern,
        ];
        var command = "redis-benchmark " + string.Join(' ', arguments);
        var before = await KeyspaceAsync(servers);
        var redisCpuBefore = ProcessStats.CpuTime(servers.RedisPid);
        string output;
        int exitCode;
        TimeSpan? cpu;
        try
        {
            (output, exitCode, cpu) = await H2LoadCrossCheck.RunProcessAsync("redis-benchmark", arguments, cancellationToken);
        }
        catch (Win32Exception)
        {
            return new RedisBenchmarkResult(command, $"`redis-benchmark` is not on PATH; install it with `{RedisBenchmarkResult.InstallHint}` and run again");
        }

        var redisCpu = ProcessStats.CpuTime(servers.RedisPid) - redisCpuBefore;
        var after = await KeyspaceAsync(servers);
        if (exitCode != 0)
        {
            return new RedisBenchmarkResult(command, $"redis-benchmark exited with code {exitCode}: {output.Trim()}");
        }

        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        var row = output.Split('\n', StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith("\"GET", StringComparison.Ordinal));
        var fields = row?.Split(',').Select(f => f.Trim('"')).ToArray();
        if (fields is not { Length: >= 7 })
        {
            return new RedisBenchmarkResult(command, $"could not read redis-benchmark's output: {output.Trim()}");
        }

        double Number(int i) => double.Parse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture);
        return new RedisBenchmarkResult(
            command,
            null,
            requests,
            Number(1),
            Number(2) * 1000,
            Number(4) * 1000,
            Number(6) * 1000,
            after.Hits - before.Hits,
            after.Misses - before.Misses,
            cpu,
            redisCpu);
    }

    private static (string Host, string Port) Split(string endPoint)
    {
        var colon = endPoint.LastIndexOf(':');
        return (endPoint[..colon], endPoint[(colon + 1)..]);
    }

    private static async Task<(double Hits, double Misses)> KeyspaceAsync(BackingServers servers)
    {
        var info = (string?)await servers.Redis.GetDatabase().ExecuteAsync("INFO", "stats") ?? "";
        double Field(string name) => info.Split('\n', StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return (Field("keyspace_hits"), Field("keyspace_misses"));
    }
}
