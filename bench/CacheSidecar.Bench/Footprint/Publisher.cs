using System.Diagnostics;
using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// Runs <c>dotnet publish src/Sidecar/Sidecar.csproj</c> for one <see cref="PublishVariant"/> into a
/// directory of its own under a temporary root: <c>--artifacts-path</c> puts obj/ and bin/ of both
/// projects there too, so the repository's own obj/ (which a concurrent <c>dotnet build</c> or test run
/// uses) is never restored for another runtime identifier or rewritten.
/// </summary>
internal static class Publisher
{
    /// <summary>Native AOT of the sidecar took about 2 minutes on 2 cores; a build beyond this is stuck.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    private const int OutputLinesKept = 60;

    public static async Task<PublishResult> PublishAsync(PublishVariant variant, string root, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(root, variant.Key);
        var output = Path.Combine(directory, "publish");
        var artifacts = Path.Combine(directory, "artifacts");
        var warningsLog = Path.Combine(directory, "warnings.log");
        var errorsLog = Path.Combine(directory, "errors.log");
        Directory.CreateDirectory(directory);

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        info.ArgumentList.Add("publish");
        info.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "src", "Sidecar", "Sidecar.csproj"));
        foreach (var argument in variant.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in new[]
        {
            "--artifacts-path", artifacts, "-o", output, "-nologo",
            // No MSBuild nodes or compiler server left running after the bench: it starts no process it does not end.
            "--disable-build-servers",
            $"-flp1:warningsonly;logfile={warningsLog}", $"-flp2:errorsonly;logfile={errorsLog}",
        })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        Console.WriteLine($"  dotnet publish … {variant.CommandLine}");
        var clock = Stopwatch.StartNew();
        var tail = new Queue<string>();
        using var process = Process.Start(info) ?? throw new BenchFailedException("dotnet publish did not start.");
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > OutputLinesKept)
                {
                    tail.Dequeue();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // our own child, by its PID
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return Failed(variant, clock.Elapsed, warningsLog, $"did not finish within {Timeout.TotalMinutes:0} min");
        }

        var elapsed = clock.Elapsed;
        // The artifacts (obj/, bin/) are hundreds of MB for Native AOT; only the publish directory is measured.
        DeleteQuietly(artifacts);
        if (process.ExitCode != 0 || !Directory.Exists(output))
        {
            string[] tailLines;
            lock (tail)
            {
                tailLines = [.. tail];
            }

            var firstError = ReadLines(errorsLog).Select(Clean).FirstOrDefault(l => l.Length > 0)
                ?? tailLines.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                ?? $"exit code {process.ExitCode}";
            return Failed(variant, elapsed, warningsLog, firstError);
        }

        var (shipped, symbols) = Sizes(output);
        return new PublishResult(variant, output, elapsed, BuildWarning.ParseLog(ReadLines(warningsLog)), null, shipped, symbols);
    }

    /// <summary>Deletes a directory tree, reporting rather than throwing: cleanup must not hide the run's outcome.</summary>
    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not delete {path}: {ex.Message}");
        }
    }

    private static PublishResult Failed(PublishVariant variant, TimeSpan elapsed, string warningsLog, string firstError) =>
        new(variant, null, elapsed, BuildWarning.ParseLog(ReadLines(warningsLog)), firstError, 0, 0);

    private static (long Shipped, long Symbols) Sizes(string directory)
    {
        long shipped = 0, symbols = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            if (file.Extension is ".pdb" or ".dbg")
            {
                symbols += file.Length;
            }
            else
            {
                shipped += file.Length;
            }
        }

        return (shipped, symbols);
    }

    private static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    /// <summary>An error line without MSBuild's node prefix and project suffix, shortened for a table cell.</summary>
    private static string Clean(string line)
    {
        var text = line.Trim();
        var arrow = text.IndexOf('>', StringComparison.Ordinal);
        if (arrow is > 0 and < 8 && text[..arrow].All(c => char.IsDigit(c) || c == ':'))
        {
            text = text[(arrow + 1)..];
        }

        var project = text.LastIndexOf(" [", StringComparison.Ordinal);
        if (project > 0 && text.EndsWith(']'))
        {
            text = text[..project];
        }

        return text.Length > 300 ? text[..300] + " …" : text;
    }
}
