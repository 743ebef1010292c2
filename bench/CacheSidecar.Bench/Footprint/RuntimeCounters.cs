using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// What the runtime inside the sidecar did during the measured load, from its own <c>/metrics</c>
/// (OpenTelemetry runtime instrumentation) read before and after, and from its thread names. This is
/// how a row shows that its knob took effect: more gen0 GCs with a small gen0 budget, server GC
/// threads, more JIT-compiled methods when ReadyToRun code is ignored.
/// </summary>
/// <param name="Gen0">Gen0 collections during the load (null: not exported).</param>
/// <param name="Gen1">Gen1 collections during the load.</param>
/// <param name="Gen2">Gen2 collections during the load.</param>
/// <param name="PauseMilliseconds">GC pause time during the load.</param>
/// <param name="CommittedBytes">Memory the GC had committed after its last collection (at the end).</param>
/// <param name="JitMethods">Methods JIT-compiled since the start (at the end).</param>
/// <param name="JitMilliseconds">Time spent JIT-compiling since the start (at the end).</param>
/// <param name="GcThreads">The GC's own threads by name and count, e.g. "2× .NET Server GC"; "none" for workstation non-concurrent.</param>
internal sealed record RuntimeCounters(
    double? Gen0,
    double? Gen1,
    double? Gen2,
    double? PauseMilliseconds,
    double? CommittedBytes,
    double? JitMethods,
    double? JitMilliseconds,
    string GcThreads)
{
    private const string Collections = "dotnet_gc_collections_total";

    public static RuntimeCounters From(PrometheusText? before, PrometheusText? after, int pid) => new(
        Delta(before, after, Collections, "gc_heap_generation=\"gen0\""),
        Delta(before, after, Collections, "gc_heap_generation=\"gen1\""),
        Delta(before, after, Collections, "gc_heap_generation=\"gen2\""),
        Delta(before, after, "dotnet_gc_pause_time_seconds_total") * 1000,
        after?.Sum("dotnet_gc_last_collection_memory_committed_size_bytes"),
        after?.Sum("dotnet_jit_compiled_methods_total"),
        after?.Sum("dotnet_jit_compilation_time_seconds_total") * 1000,
        GcThreadNames(pid));

    private static double? Delta(PrometheusText? before, PrometheusText? after, string metric, params string[] labels) =>
        before?.Sum(metric, labels) is { } b && after?.Sum(metric, labels) is { } a ? a - b : null;

    /// <summary>
    /// The runtime names its GC threads ".NET Server GC" (one per heap) and ".NET BGC" (background GC,
    /// created at the first background collection); /proc shows the first 15 bytes of each name.
    /// </summary>
    private static string GcThreadNames(int pid)
    {
        try
        {
            var names = Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(task => ReadName(Path.Combine(task, "comm")))
                .Where(name => name is not null && (name.Contains("GC", StringComparison.Ordinal) || name.Contains("BGC", StringComparison.Ordinal)))
                .GroupBy(name => name!, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Count()}× {g.Key}")
                .ToList();
            return names.Count == 0 ? "none" : string.Join(", ", names);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static string? ReadName(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the thread ended in the meantime
        }
    }
}
