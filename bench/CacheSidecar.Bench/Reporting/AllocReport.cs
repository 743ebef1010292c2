using System.Text;
using CacheSidecar.Bench.Alloc;
using static CacheSidecar.Bench.Reporting.ReportText;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Renders the <c>## Allocations</c> section from the alloc command's BenchmarkDotNet results.</summary>
internal static class AllocReport
{
    public const string Heading = "## Allocations";

    public static string Render(BenchOptions options, MachineInfo machine, string loadAverageAtEnd, IReadOnlyList<AllocRow> rows)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC{(machine.Commit is null ? "" : $", commit {machine.Commit}")}, {machine.BuildConfiguration} build."));
        md.AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (`--quick`: BenchmarkDotNet's ShortRun job): the allocation figures are as exact as in a full run, the times are indicative only.");
            md.AppendLine();
        }

        md.AppendLine("```bash");
        md.AppendLine(Command(options, machine.BuildConfiguration));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(Inv($"- Machine: {machine.Cores} cores ({machine.CpuModel}), {machine.OperatingSystem}, {machine.Runtime}; load average at start {machine.LoadAverageAtStart}, at end {loadAverageAtEnd}."));
        md.AppendLine("- BenchmarkDotNet with `[MemoryDiagnoser]`, in-process toolchain. The sidecar's real `Program` is hosted in the bench process by `WebApplicationFactory<Program>` (Production environment, flushers off, a CacheAside namespace `getbench`) against a redis-server the bench starts; the calls go through the generated gRPC client, one at a time.");
        md.AppendLine("- **Allocated B/call counts every thread of the process**: the client (gRPC client, HttpClient, protobuf) **and** the server (Kestrel or the TestServer, the gRPC pipeline, interceptors, the sidecar's read path, StackExchange.Redis). `TestServer` passes requests in memory (no sockets, no HTTP/2 framing); `Kestrel` serves them on a loopback HTTP/2 connection as in production. The direct Redis GET is StackExchange.Redis alone.");
        md.AppendLine();
        md.AppendLine("| call | transport | allocated B/call | mean µs/call (one at a time) |");
        md.AppendLine("|---|---|---:|---:|");
        foreach (var row in rows)
        {
            md.AppendLine(row.Problem is null
                ? Inv($"| {row.Name} | {row.Transport} | {row.AllocatedBytesPerCall:N0} | {row.MeanMicroseconds:N1} |")
                : Inv($"| {row.Name} | {row.Transport} | not measured: {row.Problem} | |"));
        }

        md.AppendLine();
        foreach (var transport in rows.Select(r => r.Transport).Distinct().Where(t => t != "–"))
        {
            var get = rows.FirstOrDefault(r => r.Transport == transport && r.Name.StartsWith("Get", StringComparison.Ordinal))?.AllocatedBytesPerCall;
            var noop = rows.FirstOrDefault(r => r.Transport == transport && r.Name.StartsWith("ListNamespaces", StringComparison.Ordinal))?.AllocatedBytesPerCall;
            if (get is { } g && noop is { } n)
            {
                md.AppendLine(Inv($"- {transport}: a Get hit allocates {g - n:N0} B more than the no-op RPC. The no-op builds a reply of about the same size (every namespace's policy) from memory, so the difference approximates what the Get's own work allocates (validation, strategy, the Redis read of the 1 KB value), and the no-op's figure what any call costs in the gRPC client, transport and server pipeline."));
            }
        }

        md.AppendLine();
        md.AppendLine("The `fastpath` section reports the sidecar process's own figure for comparison: its `dotnet_gc_heap_total_allocated_bytes_total` from `/metrics` around the closed-loop Get-hit row, divided by the calls — server side only, Kestrel, under load.");
        md.AppendLine();
        return md.ToString();
    }
}
