using System.Runtime.InteropServices;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// The <c>sdknear</c> command from the command line: its own options, Ctrl+C / SIGTERM turned into cancellation
/// (so the dispose chain kills the sidecars and redis-server by PID) and the exit codes of every other command.
/// Program.cs hands over to it in one line, which keeps this command out of the shared option parser.
/// </summary>
internal static class SdkNearEntry
{
    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length > 1 && args[1] is "-h" or "--help" or "help")
        {
            Console.WriteLine(SdkNearOptions.Usage);
            return 0;
        }

        SdkNearOptions options;
        try
        {
            options = SdkNearOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{SdkNearOptions.Usage}");
            return 64;
        }

        using var stopping = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // A second signal is not cancelled and ends the process; the launchers' exit hooks kill what is left.
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
            return await SdkNearCacheCommand.RunAsync(options, stopping.Token);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
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
            // Caught so the process exits normally and the ProcessExit hooks still run.
            await Console.Error.WriteLineAsync($"Bench failed unexpectedly: {ex}");
            return 1;
        }
    }
}
