using System.Globalization;

namespace CacheSidecar.Bench;

/// <summary>Command-line options of <c>writebehind</c>; defaults are the standard (published) run.</summary>
internal sealed record BenchOptions
{
    public const int DefaultDurationSeconds = 10;
    public const int DefaultConcurrency = 32;
    public const int DefaultDocs = 20_000;

    public const string Usage =
        "Usage: dotnet run -c Release --project bench/CacheSidecar.Bench -- writebehind "
        + "[--duration <seconds>=10] [--concurrency <n>=32] [--docs <n>=20000]";

    /// <summary>Measured seconds per throughput scenario (each after its own warm-up).</summary>
    public int DurationSeconds { get; init; } = DefaultDurationSeconds;

    /// <summary>Concurrent callers (closed loop) over the one shared channel / multiplexer.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>Documents queued per flusher batch size (a tenth of it for batch size 1).</summary>
    public int Docs { get; init; } = DefaultDocs;

    /// <summary>The arguments as given after <c>--</c>, to print the exact command.</summary>
    public IReadOnlyList<string> RawArguments { get; init; } = [];

    /// <summary>The warm-up before each throughput scenario; fixed so runs stay comparable.</summary>
    public static TimeSpan WarmUp => TimeSpan.FromSeconds(2);

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>True for the standard run; shorter runs are marked as indicative in the report.</summary>
    public bool IsStandardRun =>
        DurationSeconds >= DefaultDurationSeconds && Concurrency == DefaultConcurrency && Docs >= DefaultDocs;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions { RawArguments = args.ToArray() };
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = PositiveInt(name, args[++i]);
            options = name switch
            {
                "--duration" => options with { DurationSeconds = value },
                "--concurrency" => options with { Concurrency = value },
                "--docs" => options with { Docs = value },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return options;
    }

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive integer (was '{text}').");
}

/// <summary>A bench step that cannot produce a meaningful number; the message says why.</summary>
internal sealed class BenchFailedException(string message, Exception? inner = null) : Exception(message, inner);
