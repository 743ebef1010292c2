using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// Builds each publish variant the chosen levers need and measures its levers right after, one
/// variant at a time, so at most one publish directory exists at any moment (a self-contained or
/// AOT publish is 100+ MB). Everything goes under one temporary directory, deleted at the end.
/// </summary>
internal static class FootprintBenchmark
{
    public static async Task<FootprintResults> RunAsync(
        IReadOnlyList<Lever> levers, BackingServers servers, BenchOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var root = Directory.CreateTempSubdirectory("cachesidecar-bench-footprint-").FullName;
        Console.WriteLine($"Publishing into {root} (deleted at the end).");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var rows = new List<LeverResult>();
        var publishes = new List<PublishResult>();
        try
        {
            // Baseline variant first (it carries the baseline row and every knob), then the others in catalogue order.
            foreach (var group in levers.GroupBy(l => l.Variant).OrderBy(g => g.Key.IsBaseline ? 0 : 1))
            {
                var variant = group.Key;
                Console.WriteLine();
                Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] Publish '{variant.Key}' ...");
                var publish = await Publisher.PublishAsync(variant, root, cancellationToken);
                publishes.Add(publish);
                Console.WriteLine(publish.Succeeded
                    ? $"  built in {publish.Elapsed.TotalSeconds:F0} s: {publish.ShippedBytes / 1048576.0:F1} MB (+ {publish.SymbolBytes / 1048576.0:F1} MB symbols), {publish.Warnings.Count} warnings"
                    : $"  !! build failed after {publish.Elapsed.TotalSeconds:F0} s: {publish.FirstError}");
                foreach (var warning in publish.Warnings.Take(20))
                {
                    Console.WriteLine($"    warning {warning.Code} [{warning.Assembly}]: {Shorten(warning.Message, 160)}");
                }

                if (!publish.Succeeded && variant.IsBaseline)
                {
                    throw new BenchFailedException($"The baseline publish (the Dockerfile's) failed: {publish.FirstError}");
                }

                foreach (var lever in group)
                {
                    Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] Lever '{lever.Key}': {lever.Label}");
                    rows.Add(publish.Succeeded
                        ? await LeverMeasurement.RunAsync(lever, publish, servers, options, http, cancellationToken)
                        : LeverResult.BuildFailed(lever, publish));
                }

                if (publish.OutputDirectory is { } output)
                {
                    Publisher.DeleteQuietly(output);
                }
            }
        }
        finally
        {
            Publisher.DeleteQuietly(root);
        }

        var ordered = levers.Select(l => rows.First(r => r.Lever == l)).ToList();
        return new FootprintResults(ordered, publishes, clock.Elapsed, SdkVersion());
    }

    public static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + " …";

    private static string SdkVersion()
    {
        try
        {
            var info = new ProcessStartInfo("dotnet", ["--version"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
                WorkingDirectory = RepositoryPaths.Root, // global.json there picks the SDK the publishes used
            };
            using var process = Process.Start(info);
            var version = process?.StandardOutput.ReadToEnd().Trim();
            process?.WaitForExit();
            return string.IsNullOrEmpty(version) ? "unknown" : version;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
