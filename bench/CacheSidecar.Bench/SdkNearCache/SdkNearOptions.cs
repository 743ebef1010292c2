using System.Globalization;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// The <c>sdknear</c> command's options. Parsed here rather than in <see cref="BenchOptions"/> so this command
/// lives in its own folder and touches the shared entry point by one line only.
/// </summary>
internal sealed record SdkNearOptions
{
    public const string Name = "sdknear";

    public const int DefaultDurationSeconds = 5;

    public const int DefaultInvalidations = 500;

    /// <summary>Rounds of the throughput part (every row once per round); the report shows median and range.</summary>
    public const int Rounds = 3;

    /// <summary>Fewer writes give no meaningful p99 of the invalidation delay.</summary>
    public const int MinimumInvalidations = 100;

    public static readonly IReadOnlyList<int> DefaultConcurrencies = [1, 16];

    public const string Usage =
        """
        Usage: dotnet run -c Release --project bench/CacheSidecar.Bench -- sdknear
                 [--duration <s>=5] [--concurrency <n,n,...>=1,16] [--invalidations <n>=500]

        The C# SDK's in-process near cache against a direct StackExchange.Redis GET and the sidecar Get
        (hot-key throughput and latency), and its invalidation delay after a write through a second sidecar.
        Writes the '## SDK near cache' section of docs/benchmarks.md. See bench/README.md.
        """;

    /// <summary>Measured seconds of each closed-loop run (after its own warm-up).</summary>
    public int DurationSeconds { get; init; } = DefaultDurationSeconds;

    /// <summary>Closed-loop callers of each throughput point, ascending.</summary>
    public IReadOnlyList<int> Concurrencies { get; init; } = DefaultConcurrencies;

    /// <summary>Writes through sidecar B per invalidation phase (quiet, and with a hot reader).</summary>
    public int Invalidations { get; init; } = DefaultInvalidations;

    /// <summary>The arguments as given after <c>--</c>, to print the exact command.</summary>
    public IReadOnlyList<string> RawArguments { get; init; } = [];

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>True for the standard run; shorter runs are marked as indicative in the report.</summary>
    public bool IsStandardRun =>
        DurationSeconds >= DefaultDurationSeconds
        && Concurrencies.SequenceEqual(DefaultConcurrencies)
        && Invalidations >= DefaultInvalidations;

    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static SdkNearOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SdkNearOptions { RawArguments = args.ToArray() };
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = args[++i];
            options = name switch
            {
                "--duration" => options with { DurationSeconds = AtLeast(name, value, 1) },
                "--concurrency" => options with { Concurrencies = List(name, value) },
                "--invalidations" => options with { Invalidations = AtLeast(name, value, MinimumInvalidations) },
                _ => throw new ArgumentException($"Unknown option '{name}' for {Name}."),
            };
        }

        return options;
    }

    private static int[] List(string name, string text)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => AtLeast(name, v, 1)).Distinct().Order().ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"{name} needs at least one value.");
    }

    private static int AtLeast(string name, string text, int minimum) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum
            ? value
            : throw new ArgumentException($"{name} must be an integer of at least {minimum}, not '{text}'.");
}
