using System.Runtime.InteropServices;
using CacheSidecar.Bench;
using CacheSidecar.Bench.Alloc;
using CacheSidecar.Bench.Api;
using CacheSidecar.Bench.ChangeStream;
using CacheSidecar.Bench.Fanout;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Footprint;
using CacheSidecar.Bench.SdkNearCache;
using CacheSidecar.Bench.Uds;
using CacheSidecar.Bench.WriteBehind;

// Entry point: parses the command, turns Ctrl+C / SIGTERM into cancellation so every child process
// (sidecars, redis-server) is killed by the normal dispose path, and maps outcomes to exit codes.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(BenchOptions.Usage);
    return args.Length == 0 ? 64 : 0;
}

// sdknear parses its own options (SdkNearOptions); every other command shares BenchOptions.
if (args[0] == "sdknear")
{
    if (args.Length > 1 && args[1] is "-h" or "--help" or "help")
    {
        Console.WriteLine(SdkNearOptions.Usage);
        return 0;
    }

    SdkNearOptions near;
    try
    {
        near = SdkNearOptions.Parse(args);
    }
    catch (ArgumentException ex)
    {
        await Console.Error.WriteLineAsync($"{ex.Message}\n{SdkNearOptions.Usage}");
        return 64;
    }

    return await RunAsync(token => SdkNearCacheCommand.RunAsync(near, token));
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"{ex.Message}\n{BenchOptions.Usage}");
    return 64;
}

return await RunAsync(token => options.Command switch
{
    BenchCommand.FastPath => FastPathCommand.RunAsync(options, token),
    BenchCommand.Alloc => AllocCommand.RunAsync(options, token),
    BenchCommand.ChangeStream => ChangeStreamCommand.RunAsync(options, token),
    BenchCommand.Api => ApiCommand.RunAsync(options, token),
    BenchCommand.Uds => UdsCommand.RunAsync(options, token),
    BenchCommand.Footprint => FootprintCommand.RunAsync(options, token),
    BenchCommand.Fanout => FanoutCommand.RunAsync(options, token),
    _ => WriteBehindCommand.RunAsync(options, token),
});

// Runs one command with Ctrl+C / SIGTERM as cancellation and its outcome as the exit code.
static async Task<int> RunAsync(Func<CancellationToken, Task<int>> command)
{
    using var stopping = new CancellationTokenSource();

    // Cancel instead of dying: the finally/dispose chain then kills the children by PID.
    // A second Ctrl+C is not cancelled and ends the process; the ProcessExit hooks of
    // SidecarProcess (the shared launcher) and RedisServerProcess still kill what is left.
    void OnSignal(PosixSignalContext context)
    {
        if (!stopping.IsCancellationRequested)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"{context.Signal}: stopping, killing child processes ...");
            stopping.Cancel();
        }
    }

    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    try
    {
        return await command(stopping.Token);
    }
    catch (Exception) when (stopping.IsCancellationRequested)
    {
        // Cancellation surfaces as OperationCanceledException or, from a gRPC call, RpcException(Cancelled).
        await Console.Error.WriteLineAsync("Cancelled; nothing written to docs/benchmarks.md.");
        return 130;
    }
    catch (BenchFailedException ex)
    {
        await Console.Error.WriteLineAsync($"Bench failed: {ex.Message}");
        return 1;
    }
    catch (Exception ex)
    {
        // Caught rather than left unhandled so the process exits normally and the ProcessExit
        // hooks still run (the dispose chain has already killed the children by now).
        await Console.Error.WriteLineAsync($"Bench failed unexpectedly: {ex}");
        return 1;
    }
}
