using System.Globalization;
using System.Text;

namespace CacheSidecar.Bench.Reporting;

/// <summary>Formatting and the run-context block shared by every section of docs/benchmarks.md.</summary>
internal static class ReportText
{
    /// <summary>The command line that reproduces this run.</summary>
    public static string Command(BenchOptions options, string configuration) =>
        $"dotnet run -c {configuration} --project bench/CacheSidecar.Bench -- {string.Join(' ', options.RawArguments)}";

    /// <summary>
    /// Date, commit, build, the short-run and non-Release warnings, the exact command, the machine and
    /// the servers involved. <paramref name="defaultCommand"/> is the standard run's arguments (e.g. "fastpath").
    /// </summary>
    public static void RenderContext(StringBuilder md, BenchOptions options, MachineInfo machine, string redisVersion, string loadAverageAtEnd, string defaultCommand, string mongoNote)
    {
        ArgumentNullException.ThrowIfNull(md);
        md.AppendLine(Inv($"Run {machine.StartedUtc:yyyy-MM-dd HH:mm} UTC{(machine.Commit is null ? "" : $", commit {machine.Commit}")}, {machine.BuildConfiguration} build."));
        md.AppendLine();
        if (!options.IsStandardRun)
        {
            md.AppendLine("> **Short run** (parameters below the defaults): indicative only. The reference numbers come from the default command,");
            md.AppendLine(Inv($"> `dotnet run -c Release --project bench/CacheSidecar.Bench -- {defaultCommand}`."));
            md.AppendLine();
        }

        if (!machine.BuildConfiguration.Equals("Release", StringComparison.OrdinalIgnoreCase))
        {
            md.AppendLine("> **Not a Release build**: these numbers say nothing about production performance.");
            md.AppendLine();
        }

        md.AppendLine("```bash");
        md.AppendLine(Command(options, machine.BuildConfiguration));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(Inv($"- Machine: {machine.Cores} cores ({machine.CpuModel}), {machine.OperatingSystem}, {machine.Runtime}."));
        md.AppendLine(Inv($"- Load average (1/5/15 min) at start: {machine.LoadAverageAtStart}; at end: {loadAverageAtEnd}. Everything below shares these cores: bench process (load generator and MongoDB test server), sidecar, redis-server."));
        md.AppendLine(Inv($"- Redis: redis-server {redisVersion} started by the bench on 127.0.0.1, no persistence."));
        md.AppendLine(Inv($"- MongoDB: the in-process `MongoWireServer` **test server** (tests/MongoWireTestServer), not mongod: {mongoNote}"));
        md.AppendLine(Environment.GetEnvironmentVariable("CACHESIDECAR_BENCH_SIDECAR") is { Length: > 0 } published
            ? $"- Sidecar: `{published}` (`CACHESIDECAR_BENCH_SIDECAR`; the ReadyToRun publish the Dockerfile ships) as a child process, configured through `Sidecar__…` environment variables."
            : "- Sidecar: the built `CacheSidecar.dll` as a child process, configured through `Sidecar__…` environment variables.");
        md.AppendLine();
    }

    // Small but non-zero counts (one bulk write per hundreds of calls) would round to 0.00.
    public static string PerCall(double value) => value is > 0 and < 0.1 ? Inv($"{value:F3}") : Inv($"{value:F2}");

    public static string Percent(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "–" : Inv($"{ratio * 100:F0}%");

    public static string Micros(double value) => double.IsNaN(value) ? "–" : Inv($"{value:N0}");

    public static string Seconds(TimeSpan? value) => value is { } v ? Inv($"{v.TotalSeconds:F2}") : "–";

    public static string Met(bool met) => met ? "met" : "**not met**";

    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
