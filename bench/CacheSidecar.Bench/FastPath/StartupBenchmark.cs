using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Contracts.V1;
using Grpc.Core;

namespace CacheSidecar.Bench.FastPath;

/// <summary>One fresh start of the sidecar.</summary>
/// <param name="Ready">From just before Process.Start to the first 200 from <c>/readyz</c>.</param>
/// <param name="FirstGet">From just before Process.Start to the first gRPC Get that succeeded.</param>
/// <param name="FirstGetFound">That Get found the key (it was a cache hit: the key is in Redis).</param>
/// <param name="Problem">Why a time is missing, or null.</param>
internal sealed record StartResult(TimeSpan? Ready, TimeSpan? FirstGet, bool FirstGetFound, string? Problem);

/// <summary>
/// Start-to-ready: fresh sidecar processes (same configuration as the measured one, so the same
/// namespaces, Redis and MongoDB connections), each polled every 10 ms on <c>/readyz</c> and with a
/// gRPC Get of a key already in Redis, until both have succeeded. One start at a time, with the
/// measured sidecar already stopped.
/// </summary>
internal static class StartupBenchmark
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<StartResult>> RunAsync(
        Dictionary<string, string> environment, string getKey, int starts, CancellationToken cancellationToken)
    {
        var results = new List<StartResult>();
        for (var i = 1; i <= starts; i++)
        {
            var result = await OneAsync(i, environment, getKey, cancellationToken);
            results.Add(result);
            Console.WriteLine(result.Problem is null
                ? $"  start {i}: /readyz 200 after {result.Ready!.Value.TotalMilliseconds:N0} ms, first Get after {result.FirstGet!.Value.TotalMilliseconds:N0} ms{(result.FirstGetFound ? "" : " (not found!)")}"
                : $"  start {i}: !! {result.Problem}");
            await Task.Delay(500, cancellationToken); // let the killed process's sockets and memory go
        }

        return results;
    }

    private static async Task<StartResult> OneAsync(int attempt, Dictionary<string, string> environment, string getKey, CancellationToken cancellationToken)
    {
        await using var sidecar = BenchSidecar.Launch($"start-{attempt}", environment);
        using var channel = sidecar.CreateStartupChannel();
        var cache = new Cache.CacheClient(channel);
        var request = new GetRequest { Namespace = BenchNamespaces.GetHit, Key = getKey };
        var found = false;
        try
        {
            var ready = PollAsync(sidecar, () => sidecar.IsReadyAsync(cancellationToken), cancellationToken);
            var firstGet = PollAsync(sidecar, async () =>
            {
                try
                {
                    var reply = await cache.GetAsync(request, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                    found = reply.Found;
                    return true;
                }
                catch (RpcException) when (!cancellationToken.IsCancellationRequested)
                {
                    return false; // not listening yet (UNAVAILABLE) or not able to answer yet
                }
            }, cancellationToken);
            return new StartResult(await ready, await firstGet, found, null);
        }
        catch (SidecarExitedException ex)
        {
            return new StartResult(null, null, false, $"sidecar exited with code {ex.ExitCode}");
        }
        catch (TimeoutException ex)
        {
            return new StartResult(null, null, false, ex.Message);
        }
    }

    /// <summary>Calls <paramref name="probe"/> every 10 ms until it returns true; the time since the launch.</summary>
    private static async Task<TimeSpan> PollAsync(SidecarProcess sidecar, Func<Task<bool>> probe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var attemptAt = Stopwatch.GetTimestamp();
            if (await probe())
            {
                return Stopwatch.GetElapsedTime(sidecar.Launched);
            }

            sidecar.ThrowIfExited();
            if (Stopwatch.GetElapsedTime(sidecar.Launched) > Timeout)
            {
                throw new TimeoutException($"not ready within {Timeout.TotalSeconds:0} s");
            }

            var next = PollInterval - Stopwatch.GetElapsedTime(attemptAt);
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, cancellationToken);
            }
        }
    }
}
