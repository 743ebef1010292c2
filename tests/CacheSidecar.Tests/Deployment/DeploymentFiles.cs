using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace CacheSidecar.Tests.Deployment;

/// <summary>
/// k8s/*.yaml, the Dockerfile and .dockerignore as data, for <see cref="ManifestChecks"/>.
/// The YAML and the Dockerfile are read by tests/manifests/dump.mjs, the same parsers that
/// <c>npm test</c> validates with (YAML 1.1 as kubectl reads it, dockerfile-ast), so this project
/// needs no YAML library and both sides see exactly the same objects. Tests mutate a
/// <see cref="Clone"/> to show each check fails on what it guards against.
/// </summary>
internal sealed class DeploymentFiles
{
    private DeploymentFiles(JsonArray manifests, JsonArray stages, List<string> dockerIgnore)
    {
        Manifests = manifests;
        DockerfileStages = stages;
        DockerIgnore = dockerIgnore;
    }

    /// <summary>One entry per YAML document: <c>{ file, index, object, problems }</c>.</summary>
    public JsonArray Manifests { get; }

    /// <summary>One entry per build stage: <c>{ name, image, instructions: [{ keyword, line, arguments, json, flags, properties }] }</c>.</summary>
    public JsonArray DockerfileStages { get; }

    /// <summary>The lines of .dockerignore.</summary>
    public List<string> DockerIgnore { get; }

    public static DeploymentFiles Load()
    {
        var dump = RepositoryPaths.Run("node", ["dump.mjs"], RepositoryPaths.ManifestsProject, environment: null, TimeSpan.FromMinutes(2));
        if (dump.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`node dump.mjs` in tests/manifests exited {dump.ExitCode}. Its packages are installed by scripts/test.sh " +
                $"(npm ci --prefix tests/manifests).\n{dump.Output}");
        }

        var root = JsonNode.Parse(dump.StandardOutput)!.AsObject();
        var dockerIgnore = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore")).ToList();
        return new DeploymentFiles(root["manifests"]!.AsArray(), root["dockerfile"]!["stages"]!.AsArray(), dockerIgnore);
    }

    public DeploymentFiles Clone() =>
        new(Manifests.DeepClone().AsArray(), DockerfileStages.DeepClone().AsArray(), [.. DockerIgnore]);

    /// <summary>The parsed Kubernetes objects of one kind.</summary>
    public IEnumerable<JsonObject> Objects(string kind) =>
        Manifests.Select(m => m?["object"]).OfType<JsonObject>().Where(o => (string?)o["kind"] == kind);

    /// <summary>The final (shipped) stage of the Dockerfile.</summary>
    public JsonObject FinalStage => DockerfileStages[^1]!.AsObject();

    public static IEnumerable<JsonObject> Instructions(JsonObject stage, string keyword) =>
        stage["instructions"]!.AsArray().OfType<JsonObject>().Where(i => (string?)i["keyword"] == keyword);
}

/// <summary>Where the repository is, and how its Node tooling is run.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string ManifestsProject => Path.Combine(Root, "tests", "manifests");

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string Output => $"--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
    }

    /// <summary>Runs a command to completion (bounded), capturing its output. Kills only the process it started, on time-out.</summary>
    public static Result Run(string fileName, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run `{fileName}` ({e.Message}): Node.js 20+ and npm must be on PATH.", e);
        }

        using (process)
        {
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"`{fileName} {string.Join(' ', arguments)}` did not finish within {timeout}.\n{stdout}\n{stderr}");
            }

            process.WaitForExit(); // flushes the asynchronous output readers
            lock (stdout)
            {
                lock (stderr)
                {
                    return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
                }
            }
        }
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CacheSidecar.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root (CacheSidecar.sln) not found");
    }
}
