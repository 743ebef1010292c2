namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// The levers the <c>footprint</c> command measures, baseline first. Knob names and value formats are
/// the runtime's (docs/core/runtime-config): environment values of numeric GC settings are hex.
/// </summary>
internal static class FootprintLevers
{
    /// <summary>An environment variable a knob lever sets, named so the report shows it as typed.</summary>
    private static Dictionary<string, string> Knob(params (string Name, string Value)[] knobs) =>
        knobs.ToDictionary(k => k.Name, k => k.Value, StringComparer.Ordinal);

    public static IReadOnlyList<Lever> All { get; } =
    [
        new("baseline", "baseline (no runtime knobs)", "Dockerfile publish without the image's ENV knobs: framework-dependent, ReadyToRun, workstation non-concurrent GC, TieredPGO on",
            PublishVariant.Baseline, Knob()),

        // .NET 9+ turns DATAS on with server GC by default: the plain server GC row switches it off
        // explicitly, so the two rows differ by DATAS alone.
        new("servergc", "server GC", "`DOTNET_gcServer=1` `DOTNET_GCDynamicAdaptationMode=0`",
            PublishVariant.Baseline, Knob(("DOTNET_gcServer", "1"), ("DOTNET_GCDynamicAdaptationMode", "0"))),
        new("datas", "server GC + DATAS", "`DOTNET_gcServer=1` `DOTNET_GCDynamicAdaptationMode=1` (the .NET 10 default for server GC)",
            PublishVariant.Baseline, Knob(("DOTNET_gcServer", "1"), ("DOTNET_GCDynamicAdaptationMode", "1"))),
        new("concurrent", "concurrent (background) GC", "`DOTNET_gcConcurrent=1`",
            PublishVariant.Baseline, Knob(("DOTNET_gcConcurrent", "1"))),
        new("conserve", "GCConserveMemory=5", "`DOTNET_GCConserveMemory=5`",
            PublishVariant.Baseline, Knob(("DOTNET_GCConserveMemory", "5"))),
        new("hardlimit", "GC heap hard limit 32 MB", "`DOTNET_GCHeapHardLimit=0x2000000`",
            PublishVariant.Baseline, Knob(("DOTNET_GCHeapHardLimit", "0x2000000"))),
        new("gen0", "gen0 budget 4 MB", "`DOTNET_GCgen0size=0x400000`",
            PublishVariant.Baseline, Knob(("DOTNET_GCgen0size", "0x400000"))),
        new("nopgo", "TieredPGO off", "`DOTNET_TieredPGO=0`",
            PublishVariant.Baseline, Knob(("DOTNET_TieredPGO", "0"))),
        new("notiered", "TieredCompilation off", "`DOTNET_TieredCompilation=0`",
            PublishVariant.Baseline, Knob(("DOTNET_TieredCompilation", "0"))),
        new("r2r-ignored", "ReadyToRun code ignored", "`DOTNET_ReadyToRun=0` (the runtime JIT-compiles everything, framework included)",
            PublishVariant.Baseline, Knob(("DOTNET_ReadyToRun", "0"))),

        // Combinations of the knobs that each saved memory alone without costing the tail much: the
        // candidates to ship. The hard limit is left out: under a burst it fails allocations instead of growing.
        new("combo-ws", "shipped: gen0 4 MB + GCConserveMemory=5 + TieredPGO off (the image's ENV)",
            "`DOTNET_GCgen0size=0x400000` `DOTNET_GCConserveMemory=5` `DOTNET_TieredPGO=0`",
            PublishVariant.Baseline,
            Knob(("DOTNET_GCgen0size", "0x400000"), ("DOTNET_GCConserveMemory", "5"), ("DOTNET_TieredPGO", "0"))),
        new("combo-datas", "server GC + DATAS + GCConserveMemory=5 + TieredPGO off",
            "`DOTNET_gcServer=1` `DOTNET_GCDynamicAdaptationMode=1` `DOTNET_GCConserveMemory=5` `DOTNET_TieredPGO=0`",
            PublishVariant.Baseline,
            Knob(("DOTNET_gcServer", "1"), ("DOTNET_GCDynamicAdaptationMode", "1"), ("DOTNET_GCConserveMemory", "5"),
                ("DOTNET_TieredPGO", "0"))),

        new("nor2r", "no ReadyToRun (publish)", Publish(PublishVariant.NoReadyToRun), PublishVariant.NoReadyToRun, Knob()),
        new("selfcontained", "self-contained (publish)", Publish(PublishVariant.SelfContained), PublishVariant.SelfContained, Knob(), InDefaultRun: false),
        new("composite", "ReadyToRun composite (publish)", Publish(PublishVariant.Composite), PublishVariant.Composite, Knob()),
        new("trim", "trimmed (publish)", Publish(PublishVariant.Trimmed), PublishVariant.Trimmed, Knob()),
        new("trim-reflection", "trimmed, reflection config binder", Publish(PublishVariant.TrimmedReflectionBinder),
            PublishVariant.TrimmedReflectionBinder, Knob(), InDefaultRun: false),
        new("trim-core", "trimmed, AOT-core build (no JSON transcoding, MongoDB rooted)", Publish(PublishVariant.TrimmedCore),
            PublishVariant.TrimmedCore, Knob(), InDefaultRun: false),
        new("aot", "Native AOT (publish)", Publish(PublishVariant.NativeAot), PublishVariant.NativeAot, Knob()),
        new("aot-core", "Native AOT, AOT-core build (no JSON transcoding, MongoDB rooted)", Publish(PublishVariant.NativeAotCore),
            PublishVariant.NativeAotCore, Knob()),
        new("aot-core-gen0", "Native AOT, AOT-core build + gen0 4 MB + GCConserveMemory=5",
            $"{Publish(PublishVariant.NativeAotCore)} `DOTNET_GCgen0size=0x400000` `DOTNET_GCConserveMemory=5`",
            PublishVariant.NativeAotCore, Knob(("DOTNET_GCgen0size", "0x400000"), ("DOTNET_GCConserveMemory", "5"))),
        new("aot-reflection", "Native AOT, reflection config binder", Publish(PublishVariant.NativeAotReflectionBinder),
            PublishVariant.NativeAotReflectionBinder, Knob(), InDefaultRun: false),
    ];

    /// <summary>Every knob any lever sets: removed from every sidecar's environment first, so the shell cannot leak one into another row.</summary>
    public static IReadOnlyList<string> KnobNames { get; } =
        All.SelectMany(l => l.Knobs.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<Lever> Default { get; } = All.Where(l => l.InDefaultRun).ToArray();

    public static IReadOnlyList<string> Keys { get; } = All.Select(l => l.Key).ToArray();

    /// <summary>The named levers in catalogue order (baseline first, whatever order they were named in).</summary>
    public static IReadOnlyList<Lever> Select(IReadOnlyCollection<string> keys)
    {
        var unknown = keys.Where(k => !Keys.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown lever(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Keys)}.");
        }

        return All.Where(l => keys.Contains(l.Key, StringComparer.Ordinal)).ToArray();
    }

    private static string Publish(PublishVariant variant) => $"`dotnet publish … {variant.CommandLine}`";
}
