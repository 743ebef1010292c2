using System.Runtime.InteropServices;
using CacheSidecar.Bench;
using CacheSidecar.Bench.Alloc;
using CacheSidecar.Bench.Api;
using CacheSidecar.Bench.ChangeStream;
using CacheSidecar.Bench.Fanout;
using CacheSidecar.Bench.FastPath;
using CacheSidecar.Bench.Footprint;
using CacheSidecar.Bench.Uds;
using CacheSidecar.Bench.WriteBehind;

// Entry point: parses the command, turns Ctrl+C / SIGTERM into cancellation so every child process
// (sidecars, redis-server) is killed by the normal dispose path, and maps outcomes to exit codes.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(BenchOptions.Usage);
    return args.Length == 0 ? 64 : 0;
}

if (args[0] == "sdknear") { return await CacheSidecar.Bench.SdkNearCache.SdkNearEntry.MainAsync(args); }
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
    return options.Command switch
    {
        BenchCommand.FastPath => await FastPathCommand.RunAsync(options, stopping.Token),
        BenchCommand.Alloc => await AllocCommand.RunAsync(options, stopping.Token),
        BenchCommand.ChangeStream => await ChangeStreamCommand.RunAsync(options, stopping.Token),
        BenchCommand.Api => await ApiCommand.RunAsync(options, stopping.Token),
        BenchCommand.Uds => await UdsCommand.RunAsync(options, stopping.Token),
        BenchCommand.Footprint => await FootprintCommand.RunAsync(options, stopping.Token),
        BenchCommand.Fanout => await FanoutCommand.RunAsync(options, stopping.Token),
        _ => await WriteBehindCommand.RunAsync(options, stopping.Token),
    };
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
