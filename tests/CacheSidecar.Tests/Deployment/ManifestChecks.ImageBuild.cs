using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace CacheSidecar.Tests.Deployment;

// How the Dockerfile builds the image: its base images, its ENTRYPOINT, and the files its restore and
// publish steps copy in (and .dockerignore lets through).
internal static partial class ManifestChecks
{
    /// <summary>Files at the repository root that decide the restore, where they exist.</summary>
    private static readonly string[] RootBuildFiles =
        ["global.json", "Directory.Build.props", "Directory.Packages.props", "Directory.Build.targets", "NuGet.config"];

    /// <summary>
    /// The Dockerfile builds what the repository holds: the right base images, every file the
    /// restore and the publish need copied (and not excluded by .dockerignore), the restore layer
    /// fed by project files only, and an ENTRYPOINT that runs the assembly the project produces.
    /// </summary>
    public static List<string> ImageBuild(DeploymentFiles files)
    {
        var problems = new List<string>();
        var root = RepositoryPaths.Root;
        var tfm = XDocument.Load(Path.Combine(root, "Directory.Build.props"))
            .Descendants("TargetFramework").Single().Value; // net10.0
        var channel = tfm["net".Length..];
        var stages = files.DockerfileStages.OfType<JsonObject>().ToList();
        if (!((string?)files.FinalStage["image"] ?? "")
            .StartsWith($"mcr.microsoft.com/dotnet/aspnet:{channel}", StringComparison.Ordinal))
        {
            problems.Add($"The final stage must be mcr.microsoft.com/dotnet/aspnet:{channel} " +
                $"(the ASP.NET Core runtime of {tfm}, no SDK); it is {files.FinalStage["image"]}.");
        }

        var build = stages.FirstOrDefault(s => ((string?)s["image"] ?? "")
            .StartsWith($"mcr.microsoft.com/dotnet/sdk:{channel}", StringComparison.Ordinal));
        if (build is null)
        {
            problems.Add($"No build stage FROM mcr.microsoft.com/dotnet/sdk:{channel}.");
            return problems;
        }

        var sidecarProject = "src/Sidecar/Sidecar.csproj";
        var assemblyName = XDocument.Load(Path.Combine(root, sidecarProject))
            .Descendants("AssemblyName").Single().Value;
        var entrypoint = DeploymentFiles.Instructions(files.FinalStage, "ENTRYPOINT")
            .LastOrDefault()?["json"] as JsonArray;
        var expected = new[] { "dotnet", $"{assemblyName}.dll" };
        if (entrypoint is null || !entrypoint.Select(a => (string?)a).SequenceEqual(expected))
        {
            problems.Add($"ENTRYPOINT must be [\"dotnet\", \"{assemblyName}.dll\"] " +
                $"(AssemblyName of {sidecarProject}); it is {entrypoint?.ToJsonString() ?? "missing"}.");
        }

        var instructions = build["instructions"]!.AsArray().OfType<JsonObject>().ToList();
        int RunIndex(string verb) => instructions.FindIndex(i => (string?)i["keyword"] == "RUN"
            && i["arguments"]!.AsArray().Any(a => (string?)a == verb)
            && i["arguments"]!.AsArray().Any(a => (string?)a == sidecarProject));
        var restore = RunIndex("restore");
        var publish = RunIndex("publish");
        if (restore < 0 || publish < 0 || restore > publish)
        {
            problems.Add($"The build stage must RUN dotnet restore {sidecarProject}, " +
                $"then dotnet publish {sidecarProject}.");
            return problems;
        }

        List<string> CopiedBefore(int index) => [.. instructions.Take(index)
            .Where(i => (string?)i["keyword"] == "COPY" && i["flags"]?["from"] is null)
            .SelectMany(i =>
            {
                var args = (i["json"] as JsonArray ?? i["arguments"]!.AsArray()).Select(a => (string)a!).ToList();
                return args.Take(args.Count - 1);
            })
            .Select(Normalize)];
        static bool IsCopied(List<string> sources, string path) =>
            sources.Any(s => s == "." || s == path || path.StartsWith(s + "/", StringComparison.Ordinal));

        // What the restore reads: the SDK pin and props at the root, and every project file of
        // the sidecar's project-reference closure. The restore layer must see nothing else, or
        // any code edit would throw away its cached packages.
        var projects = ProjectClosure(root, sidecarProject);
        var restoreInputs = RootBuildFiles
            .Where(f => File.Exists(Path.Combine(root, f)))
            .Concat(NestedBuildFiles(root, projects))
            .Concat(projects)
            .ToList();
        var beforeRestore = CopiedBefore(restore);
        problems.AddRange(restoreInputs.Where(f => !IsCopied(beforeRestore, f))
            .Select(f => $"The Dockerfile must COPY {f} before `dotnet restore`."));
        problems.AddRange(beforeRestore.Where(s => Directory.Exists(Path.Combine(root, s)) || s == ".")
            .Select(s => $"COPY {s} before `dotnet restore` copies a directory: " +
                "every code change would then invalidate the cached restore layer."));

        // What the publish compiles: each project's directory and the proto files it includes.
        var beforePublish = CopiedBefore(publish);
        var publishInputs = projects.Select(p => p[..p.LastIndexOf('/')])
            .Concat(ProtoDirectories(root, projects)).Distinct();
        problems.AddRange(publishInputs.Where(d => !IsCopied(beforePublish, d))
            .Select(d => $"The Dockerfile must COPY {d}/ before `dotnet publish`."));

        foreach (var source in CopiedBefore(instructions.Count).Distinct())
        {
            if (source != "."
                && !File.Exists(Path.Combine(root, source)) && !Directory.Exists(Path.Combine(root, source)))
            {
                problems.Add($"COPY {source}: does not exist in the repository.");
            }
            else if (DockerIgnore.Matches(files.DockerIgnore, source) is { } pattern)
            {
                problems.Add($"COPY {source}: .dockerignore excludes it ('{pattern}').");
            }
            else if (Directory.Exists(Path.Combine(root, source)))
            {
                var lost = SourceFiles(Path.Combine(root, source))
                    .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                    .Select(f => (File: f, Pattern: DockerIgnore.Matches(files.DockerIgnore, f)))
                    .FirstOrDefault(x => x.Pattern is not null);
                if (lost.Pattern is not null)
                {
                    problems.Add($"COPY {source}: .dockerignore excludes {lost.File} ('{lost.Pattern}'), " +
                        "which the build needs.");
                }
            }
        }

        return problems;
    }

    private static string Normalize(string source)
    {
        var path = source.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>Build files MSBuild imports from every folder between a project and the root.</summary>
    private static readonly string[] NestedBuildFileNames = ["Directory.Build.props", "Directory.Build.targets"];

    /// <summary>
    /// Directory.Build.props and .targets between the root and each project (src/Directory.Build.props: the
    /// packages' metadata and SourceLink), which MSBuild imports into the restore as it does the root's.
    /// </summary>
    private static IEnumerable<string> NestedBuildFiles(string root, List<string> projects) => projects
        .SelectMany(project =>
        {
            var folders = new List<string>();
            for (var folder = Path.GetDirectoryName(project.Replace('/', Path.DirectorySeparatorChar));
                 !string.IsNullOrEmpty(folder);
                 folder = Path.GetDirectoryName(folder))
            {
                folders.Add(folder);
            }

            return folders;
        })
        .SelectMany(folder => NestedBuildFileNames.Select(file => Path.Combine(folder, file)))
        .Where(file => File.Exists(Path.Combine(root, file)))
        .Select(file => file.Replace('\\', '/'))
        .Distinct(StringComparer.Ordinal);

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static List<string> ProjectClosure(string root, string project)
    {
        var seen = new List<string>();
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (seen.Contains(current, StringComparer.Ordinal))
            {
                continue;
            }

            seen.Add(current);
            var directory = Path.GetDirectoryName(Path.Combine(root, current))!;
            foreach (var reference in XDocument.Load(Path.Combine(root, current)).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                var full = Path.GetFullPath(Path.Combine(directory, include));
                pending.Push(Path.GetRelativePath(root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }

    /// <summary>The directories the projects' Protobuf items compile from: each Include's directory (up to
    /// its first wildcard) and its ProtoRoot, where imports such as google/api/*.proto are found.</summary>
    private static IEnumerable<string> ProtoDirectories(string root, List<string> projects)
    {
        foreach (var project in projects)
        {
            var directory = Path.GetDirectoryName(Path.Combine(root, project))!;
            string Relative(string path) =>
                Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(directory, path))).Replace('\\', '/');
            foreach (var item in XDocument.Load(Path.Combine(root, project)).Descendants("Protobuf"))
            {
                var segments = (item.Attribute("Include")?.Value ?? "").Replace('\\', '/').Split('/');
                var wildcard = Array.FindIndex(segments, segment => segment.Contains('*', StringComparison.Ordinal));
                yield return Relative(string.Join('/', segments.Take(wildcard >= 0 ? wildcard : segments.Length - 1)));
                if (item.Attribute("ProtoRoot")?.Value is { } protoRoot)
                {
                    yield return Relative(protoRoot.Replace('\\', '/'));
                }
            }
        }
    }

    /// <summary>
    /// Files under a directory that a build reads (sources, projects, settings), outside bin/ and obj/.
    /// </summary>
    private static IEnumerable<string> SourceFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".props" or ".targets" or ".json" or ".proto");
}
