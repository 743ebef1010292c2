using System.Globalization;

namespace CacheSidecar.Bench;

/// <summary>The bench commands.</summary>
internal enum BenchCommand
{
    WriteBehind,
    FastPath,
    Alloc,
    ChangeStream,
    Api,
    Uds,
    Footprint,
    Fanout,
}

/// <summary>Whether the fastpath L1 near-cache row runs.</summary>
internal enum NearCacheMode
{
    /// <summary>Run it if the sidecar build accepts <c>NearCache</c> configuration, else report it as not available.</summary>
    Auto,

    /// <summary>Run it; a build that refuses the configuration is reported as not available (exit code 3).</summary>
    On,

    /// <summary>Do not run it.</summary>
    Off,
}

/// <summary>Command-line options of every command; defaults are the standard (published) runs.</summary>
internal sealed record BenchOptions
{
    public const int DefaultDurationSeconds = 10;
    public const int DefaultConcurrency = 32;
    public const int DefaultDocs = 20_000;
    public const int DefaultRateSeconds = 20;
    public const int DefaultSweepSeconds = 2;
    public const int DefaultHotKeys = 100;
    public const int DefaultStarts = 5;
    public const int DefaultKeys = 1_000;

    /// <summary>footprint: fresh starts per lever; the report gives their median.</summary>
    public const int DefaultFootprintStarts = 3;

    /// <summary>api: shorter per scenario than the other commands, as it runs 8 scenarios 3 times each.</summary>
    public const int DefaultApiDurationSeconds = 5;

    /// <summary>api: runs of each scenario; the report shows their median and range.</summary>
    public const int ApiRepetitions = 3;

    /// <summary>fastpath: per closed-loop run; every row runs 3 times (plus a warm-up pass), so shorter than the other commands.</summary>
    public const int DefaultFastPathDurationSeconds = 5;

    /// <summary>fastpath: measured seconds of each 1,000 req/s run (4 rows, 3 rounds).</summary>
    public const int DefaultFastPathRateSeconds = 10;

    /// <summary>fastpath: rounds (every row once per round); the report shows each row's median and range.</summary>
    public const int FastPathRepetitions = 3;

    /// <summary>uds: per closed-loop run; 4 closed-loop and 2 open-loop rows run 3 times each plus a warm-up pass.</summary>
    public const int DefaultUdsDurationSeconds = 5;

    /// <summary>uds: runs of each row (TCP and Unix socket alike); the report shows their median and range.</summary>
    public const int UdsRepetitions = 3;

    /// <summary>changestream: with fewer keys the pool of sampled keys (a tenth) is too small to rotate.</summary>
    public const int MinimumKeys = 20;

    /// <summary>fanout: seconds of publishing per point (scheme × instance count).</summary>
    public const int DefaultFanoutDurationSeconds = 5;

    /// <summary>fanout: invalidations published per second, over all namespaces.</summary>
    public const int DefaultFanoutRate = 200;

    /// <summary>fanout: namespaces the invalidations are spread over.</summary>
    public const int DefaultFanoutNamespaces = 16;

    /// <summary>fanout: namespaces each instance follows in the realistic case.</summary>
    public const int DefaultFanoutFollow = 2;

    /// <summary>fanout: rounds (every point once per round); the report shows each figure's median.</summary>
    public const int DefaultFanoutRounds = 3;

    /// <summary>fanout: simulated instance counts.</summary>
    public static readonly IReadOnlyList<int> DefaultFanoutInstances = [10, 100, 1_000];

    /// <summary>Offered loads (req/s) of the latency-vs-load sweep.</summary>
    public static readonly IReadOnlyList<int> DefaultSweepRates = [500, 1_000, 2_000, 4_000, 8_000, 12_000, 16_000];

    public const string Usage =
        """
        Usage: dotnet run -c Release --project bench/CacheSidecar.Bench -- <command> [options]

          writebehind [--duration <s>=10] [--concurrency <n>=32] [--docs <n>=20000]
          fastpath    [--duration <s>=5] [--concurrency <n>=32] [--rate-duration <s>=10]
                      [--sweep-duration <s>=2] [--sweep-rates <r,r,...>=500,1000,2000,4000,8000,12000,16000]
                      [--hot-keys <n>=100] [--starts <n>=5] [--l1 auto|on|off]
          alloc       [--quick]
          changestream [--duration <s>=10] [--keys <n>=1000]
          api         [--duration <s>=5] [--concurrency <n>=32]
          uds         [--duration <s>=5] [--concurrency <n>=32] [--rate-duration <s>=20]
          footprint   [--duration <s>=10] [--starts <n>=3] [--levers <lever,lever,...>]
                      levers: baseline servergc datas concurrent conserve hardlimit gen0 nopgo
                      notiered r2r-ignored combo-ws combo-datas nor2r composite trim aot aot-core
                      aot-core-gen0 (the default set), and selfcontained trim-reflection trim-core
                      aot-reflection (only when named)
          fanout      [--duration <s>=5] [--rate <msgs/s>=200] [--instances <n,n,...>=10,100,1000]
                      [--namespaces <n>=16] [--follow <n>=2] [--rounds <n>=3]
          sdknear     [--duration <s>=5] [--concurrency <n,n,...>=1,16] [--invalidations <n>=500]
                      (its own options: sdknear --help)

        See bench/README.md.
        """;

    public BenchCommand Command { get; init; }

    /// <summary>Measured seconds per closed-loop scenario (each after its own warm-up).</summary>
    public int DurationSeconds { get; init; } = DefaultDurationSeconds;

    /// <summary>Concurrent callers (closed loop) over the one shared channel / multiplexer.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>writebehind: documents queued per flusher batch size (a tenth of it for batch size 1).</summary>
    public int Docs { get; init; } = DefaultDocs;

    /// <summary>fastpath, uds: measured seconds of each 1,000 req/s open-loop run (Dapr's method).</summary>
    public int RateDurationSeconds { get; init; } = DefaultRateSeconds;

    /// <summary>fastpath: measured seconds of each step of the latency-vs-load sweep.</summary>
    public int SweepDurationSeconds { get; init; } = DefaultSweepSeconds;

    /// <summary>fastpath: offered loads of the sweep, ascending.</summary>
    public IReadOnlyList<int> SweepRates { get; init; } = DefaultSweepRates;

    /// <summary>fastpath: keys the L1 near-cache row cycles over.</summary>
    public int HotKeys { get; init; } = DefaultHotKeys;

    /// <summary>fastpath, footprint: fresh sidecar starts timed for start-to-ready.</summary>
    public int Starts { get; init; } = DefaultStarts;

    /// <summary>fastpath: the L1 near-cache row.</summary>
    public NearCacheMode NearCache { get; init; } = NearCacheMode.Auto;

    /// <summary>changestream: documents Put through the sidecar, cached, then updated by the external writer.</summary>
    public int Keys { get; init; } = DefaultKeys;

    /// <summary>footprint: the levers named by <c>--levers</c>; null for the default set.</summary>
    public IReadOnlyList<string>? FootprintLevers { get; init; }

    /// <summary>fanout: invalidations published per second (all namespaces together).</summary>
    public int Rate { get; init; } = DefaultFanoutRate;

    /// <summary>fanout: simulated instance counts, ascending.</summary>
    public IReadOnlyList<int> Instances { get; init; } = DefaultFanoutInstances;

    /// <summary>fanout: namespaces the invalidations are spread over.</summary>
    public int Namespaces { get; init; } = DefaultFanoutNamespaces;

    /// <summary>fanout: namespaces each instance follows (the sharded realistic case).</summary>
    public int Follow { get; init; } = DefaultFanoutFollow;

    /// <summary>fanout: rounds over every point.</summary>
    public int Rounds { get; init; } = DefaultFanoutRounds;

    /// <summary>alloc: BenchmarkDotNet's short job (fewer iterations) instead of the default one.</summary>
    public bool Quick { get; init; }

    /// <summary>The arguments as given after <c>--</c>, to print the exact command.</summary>
    public IReadOnlyList<string> RawArguments { get; init; } = [];

    /// <summary>The warm-up before each closed-loop scenario; fixed so runs stay comparable.</summary>
    public static TimeSpan WarmUp => TimeSpan.FromSeconds(2);

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    public TimeSpan RateDuration => TimeSpan.FromSeconds(RateDurationSeconds);

    public TimeSpan SweepDuration => TimeSpan.FromSeconds(SweepDurationSeconds);

    /// <summary>True for the standard run; shorter runs are marked as indicative in the report.</summary>
    public bool IsStandardRun => Command switch
    {
        BenchCommand.WriteBehind => DurationSeconds >= DefaultDurationSeconds && Concurrency == DefaultConcurrency && Docs >= DefaultDocs,
        BenchCommand.FastPath => DurationSeconds >= DefaultFastPathDurationSeconds && Concurrency == DefaultConcurrency
            && RateDurationSeconds >= DefaultFastPathRateSeconds && SweepDurationSeconds >= DefaultSweepSeconds && Starts >= DefaultStarts,
        BenchCommand.ChangeStream => DurationSeconds >= DefaultDurationSeconds && Keys >= DefaultKeys,
        BenchCommand.Api => DurationSeconds >= DefaultApiDurationSeconds && Concurrency == DefaultConcurrency,
        BenchCommand.Uds => DurationSeconds >= DefaultUdsDurationSeconds && Concurrency == DefaultConcurrency && RateDurationSeconds >= DefaultRateSeconds,
        BenchCommand.Footprint => DurationSeconds >= DefaultDurationSeconds && Starts >= DefaultFootprintStarts && FootprintLevers is null,
        BenchCommand.Fanout => DurationSeconds >= DefaultFanoutDurationSeconds
            && DefaultFanoutInstances.All(Instances.Contains) && Rounds >= DefaultFanoutRounds,
        _ => !Quick,
    };

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var command = args.Count == 0 ? "" : args[0];
        var options = new BenchOptions
        {
            RawArguments = args.ToArray(),
            Command = command switch
            {
                "writebehind" => BenchCommand.WriteBehind,
                "fastpath" => BenchCommand.FastPath,
                "alloc" => BenchCommand.Alloc,
                "changestream" => BenchCommand.ChangeStream,
                "api" => BenchCommand.Api,
                "uds" => BenchCommand.Uds,
                "footprint" => BenchCommand.Footprint,
                "fanout" => BenchCommand.Fanout,
                _ => throw new ArgumentException($"Unknown bench command '{command}'."),
            },
        };
        if (options.Command == BenchCommand.Api)
        {
            options = options with { DurationSeconds = DefaultApiDurationSeconds };
        }
        else if (options.Command == BenchCommand.FastPath)
        {
            options = options with { DurationSeconds = DefaultFastPathDurationSeconds, RateDurationSeconds = DefaultFastPathRateSeconds };
        }
        else if (options.Command == BenchCommand.Uds)
        {
            options = options with { DurationSeconds = DefaultUdsDurationSeconds };
        }
        else if (options.Command == BenchCommand.Footprint)
        {
            options = options with { Starts = DefaultFootprintStarts };
        }
        else if (options.Command == BenchCommand.Fanout)
        {
            options = options with { DurationSeconds = DefaultFanoutDurationSeconds };
        }

        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--quick" && options.Command == BenchCommand.Alloc)
            {
                options = options with { Quick = true };
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = args[++i];
            options = (options.Command, name) switch
            {
                (BenchCommand.WriteBehind or BenchCommand.FastPath or BenchCommand.ChangeStream or BenchCommand.Api
                    or BenchCommand.Uds or BenchCommand.Footprint or BenchCommand.Fanout, "--duration") =>
                    options with { DurationSeconds = PositiveInt(name, value) },
                (BenchCommand.WriteBehind or BenchCommand.FastPath or BenchCommand.Api or BenchCommand.Uds, "--concurrency") => options with { Concurrency = PositiveInt(name, value) },
                (BenchCommand.WriteBehind, "--docs") => options with { Docs = PositiveInt(name, value) },
                (BenchCommand.FastPath or BenchCommand.Uds, "--rate-duration") => options with { RateDurationSeconds = PositiveInt(name, value) },
                (BenchCommand.FastPath, "--sweep-duration") => options with { SweepDurationSeconds = PositiveInt(name, value) },
                (BenchCommand.FastPath, "--sweep-rates") => options with { SweepRates = Rates(name, value) },
                (BenchCommand.FastPath, "--hot-keys") => options with { HotKeys = PositiveInt(name, value) },
                (BenchCommand.FastPath or BenchCommand.Footprint, "--starts") => options with { Starts = PositiveInt(name, value) },
                (BenchCommand.Footprint, "--levers") => options with { FootprintLevers = Names(name, value) },
                (BenchCommand.FastPath, "--l1") => options with { NearCache = Mode(name, value) },
                (BenchCommand.ChangeStream, "--keys") => options with { Keys = AtLeast(name, value, MinimumKeys) },
                (BenchCommand.Fanout, "--rate") => options with { Rate = PositiveInt(name, value) },
                (BenchCommand.Fanout, "--instances") => options with { Instances = Rates(name, value) },
                (BenchCommand.Fanout, "--namespaces") => options with { Namespaces = PositiveInt(name, value) },
                (BenchCommand.Fanout, "--follow") => options with { Follow = PositiveInt(name, value) },
                (BenchCommand.Fanout, "--rounds") => options with { Rounds = PositiveInt(name, value) },
                _ => throw new ArgumentException($"Unknown option '{name}' for {command}."),
            };
        }

        // Namespace names are nsNN: two digits keep every name (and channel) the same length.
        return options.Command == BenchCommand.Fanout
            && (options.Follow > options.Namespaces || options.Namespaces > 100)
            ? throw new ArgumentException("--follow must not exceed --namespaces, which must be at most 100.")
            : options;
    }

    private static int[] Rates(string name, string text)
    {
        var rates = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => PositiveInt(name, r)).ToList();
        if (rates.Count == 0)
        {
            throw new ArgumentException($"{name} needs at least one value.");
        }

        rates.Sort();
        return rates.Distinct().ToArray();
    }

    /// <summary>A comma-separated list of footprint levers, each once, every one of them known.</summary>
    private static string[] Names(string name, string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
        {
            throw new ArgumentException($"{name} needs at least one lever.");
        }

        var unknown = names.Except(Footprint.FootprintLevers.Keys, StringComparer.Ordinal).ToList();
        return unknown.Count == 0
            ? names
            : throw new ArgumentException($"{name}: unknown lever(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Footprint.FootprintLevers.Keys)}.");
    }

    private static NearCacheMode Mode(string name, string text) => text switch
    {
        "auto" => NearCacheMode.Auto,
        "on" => NearCacheMode.On,
        "off" => NearCacheMode.Off,
        _ => throw new ArgumentException($"{name} must be auto, on or off (was '{text}')."),
    };

    private static int AtLeast(string name, string text, int minimum) =>
        PositiveInt(name, text) is var value && value >= minimum
            ? value
            : throw new ArgumentException($"{name} must be at least {minimum} (was '{text}').");

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive integer (was '{text}').");
}

/// <summary>A bench step that cannot produce a meaningful number; the message says why.</summary>
internal sealed class BenchFailedException(string message, Exception? inner = null) : Exception(message, inner);
