using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using HdrHistogram;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// A second opinion on the Get-hit figure from an independent load generator: h2load (nghttp2) on one
/// HTTP/2 cleartext connection with prior knowledge (<c>-c 1</c>) and <c>-m</c> concurrent streams, the
/// same shape as our one GrpcChannel with N callers. It POSTs a gRPC-framed GetRequest (1-byte
/// compressed flag 0, 4-byte big-endian length, protobuf bytes) to the real method path. h2load only
/// sees HTTP status 200 (gRPC puts grpc-status in the trailers), so the answers are checked on the
/// server side: the sidecar's own /metrics must count as many Get calls with status OK, and as many
/// cache hits, as h2load sent.
/// </summary>
internal static partial class H2LoadCrossCheck
{
    /// <summary>The full method path: package cachesidecar.v1, service Cache, method Get (protos/cachesidecar/v1/cache.proto).</summary>
    public const string GetPath = "/cachesidecar.v1.Cache/Get";

    /// <summary>The no-op RPC's path.</summary>
    public const string ListNamespacesPath = "/cachesidecar.v1.Cache/ListNamespaces";

    /// <summary>The Get hit of the closed-loop row: the first Get-hit key; each answer must be OK and a cache hit.</summary>
    public static H2LoadTarget GetHit(FastPathCalls calls) => new(
        GetPath,
        calls.FirstGet,
        ["rpc=\"Get\"", $"namespace=\"{BenchNamespaces.GetHit}\""],
        [$"namespace=\"{BenchNamespaces.GetHit}\"", "source=\"cache\"", "found=\"true\""],
        async ct => await calls.Cache.GetAsync(calls.FirstGet, cancellationToken: ct) is { Found: true, Source: ValueSource.Cache });

    /// <summary>The no-op RPC (an empty ListNamespacesRequest is the 5-byte frame 00 00000000); each answer must be OK.</summary>
    public static H2LoadTarget ListNamespaces(FastPathCalls calls) => new(
        ListNamespacesPath,
        new ListNamespacesRequest(),
        ["rpc=\"ListNamespaces\""],
        null,
        async ct => (await calls.Cache.ListNamespacesAsync(new ListNamespacesRequest(), cancellationToken: ct)).Namespaces.Count > 0);

    public static async Task<H2LoadResult> RunAsync(
        SidecarProcess sidecar, H2LoadTarget target, int concurrency, TimeSpan warmUp, TimeSpan duration, CancellationToken cancellationToken)
    {
        var request = target.Request;
        var directory = Directory.CreateTempSubdirectory("cachesidecar-h2load-");
        try
        {
            var dataFile = Path.Combine(directory.FullName, "get.grpc");
            await File.WriteAllBytesAsync(dataFile, Frame(request), cancellationToken);
            var logFile = Path.Combine(directory.FullName, "requests.log");
            string[] arguments =
            [
                "-c", "1", "-t", "1", "-m", concurrency.ToString(CultureInfo.InvariantCulture),
                "-D", Seconds(duration), $"--warm-up-time={Seconds(warmUp)}",
                "-d", dataFile,
                "-H", "content-type: application/grpc",
                "-H", "te: trailers",
                $"--log-file={logFile}",
                new Uri(sidecar.Address, target.Path).ToString(),
            ];
            var command = "h2load " + string.Join(' ', arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))
                .Replace(directory.FullName, "<tmp>", StringComparison.Ordinal);

            var before = await sidecar.ScrapeMetricsAsync(cancellationToken);
            var sidecarCpuBefore = ProcessStats.CpuTime(sidecar.Pid);
            string output;
            int exitCode;
            TimeSpan? h2loadCpu;
            try
            {
                (output, exitCode, h2loadCpu) = await RunProcessAsync("h2load", arguments, cancellationToken);
            }
            catch (Win32Exception)
            {
                return new H2LoadResult(command, $"`h2load` is not on PATH; install it with `{H2LoadResult.InstallHint}` (Debian package nghttp2-client) and run again");
            }

            var sidecarCpu = ProcessStats.CpuTime(sidecar.Pid) - sidecarCpuBefore;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // past the exporter's scrape cache
            var after = await sidecar.ScrapeMetricsAsync(cancellationToken);
            var clientCheck = await target.ClientCheck(cancellationToken);

            if (exitCode != 0)
            {
                return new H2LoadResult(command, $"h2load exited with code {exitCode}: {LastLines(output, 5)}");
            }

            var summary = Summary().Match(output);
            var requests = Requests().Match(output);
            var timeForRequest = TimeForRequest().Match(output);
            if (!summary.Success || !requests.Success)
            {
                return new H2LoadResult(command, $"could not read h2load's output: {LastLines(output, 8)}");
            }

            var (latencies, logged, non200) = ReadLog(logFile);
            var succeeded = long.Parse(requests.Groups["succeeded"].Value, CultureInfo.InvariantCulture);
            var failed = long.Parse(requests.Groups["failed"].Value, CultureInfo.InvariantCulture)
                + long.Parse(requests.Groups["errored"].Value, CultureInfo.InvariantCulture)
                + long.Parse(requests.Groups["timeout"].Value, CultureInfo.InvariantCulture);
            var rps = double.Parse(summary.Groups["rps"].Value, CultureInfo.InvariantCulture);

            double Delta(string metric, params string[] labels) => (after.Sum(metric, labels) ?? 0) - (before.Sum(metric, labels) ?? 0);
            var ok = Delta(FastPathMetrics.RpcCount, [.. target.RpcLabels, "status=\"OK\""]);
            var all = Delta(FastPathMetrics.RpcCount, target.RpcLabels);
            var cancelled = Delta(FastPathMetrics.RpcCount, [.. target.RpcLabels, "status=\"Cancelled\""]);
            var hits = target.HitLabels is null ? double.NaN : Delta(FastPathMetrics.Reads, target.HitLabels);
            return new H2LoadResult(
                command,
                null,
                rps,
                succeeded,
                failed,
                timeForRequest.Success ? Microseconds(timeForRequest.Groups["mean"].Value) : double.NaN,
                latencies,
                non200,
                ok,
                hits,
                all - ok - cancelled,
                logged,
                clientCheck,
                h2loadCpu,
                sidecarCpu,
                cancelled,
                concurrency);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length, the protobuf bytes.</summary>
    public static byte[] Frame(IMessage message)
    {
        var body = message.ToByteArray();
        var framed = new byte[5 + body.Length];
        framed[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1, 4), (uint)body.Length);
        body.CopyTo(framed, 5);
        return framed;
    }

    /// <summary>h2load's per-request log: start (µs since epoch), status, duration (µs). Returns a histogram of durations.</summary>
    private static (LongHistogram? Latencies, long Rows, long Non200) ReadLog(string path)
    {
        if (!File.Exists(path))
        {
            return (null, 0, 0);
        }

        var histogram = new LongHistogram(60_000_000, 3);
        long rows = 0;
        long non200 = 0;
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split('\t');
            if (fields.Length < 3 || !long.TryParse(fields[2], CultureInfo.InvariantCulture, out var micros))
            {
                continue;
            }

            rows++;
            if (fields[1] != "200")
            {
                non200++;
            }

            histogram.RecordValue(Math.Clamp(micros, 0, 60_000_000));
        }

        return (rows == 0 ? null : histogram, rows, non200);
    }

    /// <summary>Runs a load generator to its end; its output, exit code and CPU time (sampled every 50 ms). Shared with <see cref="RedisBenchmarkDriver"/>.</summary>
    internal static async Task<(string Output, int ExitCode, TimeSpan? Cpu)> RunProcessAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new Win32Exception($"{file} did not start");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            var exited = process.WaitForExitAsync(cancellationToken);
            TimeSpan? cpu = null;
            while (!exited.IsCompleted)
            {
                cpu = ProcessStats.CpuTime(process.Id) ?? cpu;
                await Task.WhenAny(exited, Task.Delay(50, cancellationToken));
            }

            await exited;
            return (await stdout + await stderr, process.ExitCode, cpu);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(); // cancelled: stop the h2load this bench started, by its own handle
            }
        }
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###}s");

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));

    // "1.23ms", "456us", "1.2s"
    private static double Microseconds(string value)
    {
        var match = Duration().Match(value);
        var number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "us" => number,
            "ms" => number * 1_000,
            "s" => number * 1_000_000,
            _ => double.NaN,
        };
    }

    [GeneratedRegex(@"finished in [^,]+, (?<rps>[0-9.]+) req/s")]
    private static partial Regex Summary();

    [GeneratedRegex(@"requests: (?<total>\d+) total, (?<started>\d+) started, (?<done>\d+) done, (?<succeeded>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored, (?<timeout>\d+) timeout")]
    private static partial Regex Requests();

    [GeneratedRegex(@"time for request:\s+(?<min>\S+)\s+(?<max>\S+)\s+(?<mean>\S+)\s+(?<sd>\S+)")]
    private static partial Regex TimeForRequest();

    [GeneratedRegex(@"^(?<n>[0-9.]+)(?<unit>us|ms|s)$")]
    private static partial Regex Duration();
}
