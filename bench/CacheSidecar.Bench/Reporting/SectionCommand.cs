using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.WriteBehind;

namespace CacheSidecar.Bench.Reporting;

/// <summary>
/// What every one-section command (api, uds, footprint) does around its measurement: start the backing
/// servers, measure, print the section and write it into docs/benchmarks.md, and exit
/// <see cref="WriteBehindCommand.Incomplete"/> (problems on stderr) when something could not be measured.
/// </summary>
internal static class SectionCommand
{
    /// <param name="banner">The command's first line: what it is about to measure.</param>
    /// <param name="render">The section, from the machine, the servers' Redis version, the load average at the end
    /// and the results.</param>
    /// <param name="problems">What keeps the results from being complete (none: exit 0).</param>
    public static async Task<int> RunAsync<T>(
        BenchOptions options,
        string banner,
        string heading,
        Func<BackingServers, Task<T>> measure,
        Func<MachineInfo, string, string, T, string> render,
        Func<T, IEnumerable<string>> problems,
        CancellationToken cancellationToken)
    {
        var machine = MachineInfo.Capture(RepositoryPaths.Root, RepositoryPaths.BuildConfiguration);
        Console.WriteLine(banner);
        if (!options.IsStandardRun)
        {
            Console.WriteLine("(short run: parameters below the defaults; the report marks it as indicative)");
        }

        await using var servers = await BackingServers.StartAsync(cancellationToken);
        Console.WriteLine($"redis-server {servers.RedisVersion} on {servers.RedisEndPoint}; MongoDB wire test server {servers.MongoConnectionString}");

        var results = await measure(servers);

        var report = render(machine, servers.RedisVersion, MachineInfo.LoadAverage(), results);
        Console.WriteLine();
        Console.WriteLine(heading);
        Console.WriteLine();
        Console.WriteLine(report);

        BenchmarksDocument.ReplaceSection(RepositoryPaths.BenchmarksDocument, heading, report);
        Console.WriteLine($"Wrote the '{heading}' section of {RepositoryPaths.BenchmarksDocument}.");

        var incomplete = problems(results).ToList();
        foreach (var problem in incomplete)
        {
            await Console.Error.WriteLineAsync($"Incomplete: {problem}");
        }

        return incomplete.Count == 0 ? 0 : WriteBehindCommand.Incomplete;
    }
}
