using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Xml.Linq;

namespace CacheSidecar.PackageConsumer.Tests;

/// <summary>
/// What the packed files say about themselves: the nuspec metadata a feed shows, the files an installer gets
/// (assembly, XML docs, readme), the symbols package, and that the restore used these very files.
/// </summary>
public sealed class PackageMetadataTests
{
    /// <summary>SourceLink's entry in a portable PDB's custom debug information.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [Fact]
    public void The_client_nuspec_names_id_version_licence_readme_authors_tags_and_its_contracts_dependency()
    {
        var metadata = Nuspec(PackageLayout.ClientId);

        Assert.Equal(PackageLayout.ClientId, Value(metadata, "id"));
        Assert.Equal(PackageLayout.Version, Value(metadata, "version"));
        var license = Element(metadata, "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Value(metadata, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "description")));
        Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "authors")));
        Assert.Contains("grpc", Value(metadata, "tags").Split(' '));
        var contracts = metadata.Descendants(metadata.Name.Namespace + "dependency")
            .Single(d => (string?)d.Attribute("id") == PackageLayout.ContractsId);
        Assert.Equal(PackageLayout.Version, (string?)contracts.Attribute("version"));
    }

    [Theory]
    [InlineData(PackageLayout.ClientId)]
    [InlineData(PackageLayout.ContractsId)]
    public void Each_package_records_the_git_commit_it_was_built_from(string id)
    {
        var repository = Element(Nuspec(id), "repository");

        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.Equal(GitHead(), (string?)repository.Attribute("commit"));
    }

    [Theory]
    [InlineData(PackageLayout.ClientId)]
    [InlineData(PackageLayout.ContractsId)]
    public void Each_package_carries_its_assembly_xml_docs_and_readme(string id)
    {
        using var package = ZipFile.OpenRead(PackageLayout.InFeed(id));
        var files = package.Entries.Select(e => e.FullName).ToList();

        Assert.Contains($"lib/net10.0/{AssemblyName(id)}.dll", files);
        Assert.Contains($"lib/net10.0/{AssemblyName(id)}.xml", files);
        Assert.Contains("README.md", files);
        using var readme = new StreamReader(package.GetEntry("README.md")!.Open());
        Assert.StartsWith($"# {id}", readme.ReadToEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PackageLayout.ClientId)]
    [InlineData(PackageLayout.ContractsId)]
    public void Each_package_has_a_symbols_package_whose_pdb_matches_its_assembly(string id)
    {
        using var package = ZipFile.OpenRead(PackageLayout.InFeed(id));
        using var symbols = ZipFile.OpenRead(PackageLayout.InFeed(id, "snupkg"));
        var assembly = Read(package, $"lib/net10.0/{AssemblyName(id)}.dll");
        var pdb = Read(symbols, $"lib/net10.0/{AssemblyName(id)}.pdb");

        using var pe = new PEReader(new MemoryStream(assembly));
        var codeView = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView);
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(pdb));
        var reader = pdbProvider.GetMetadataReader();
        var pdbId = new BlobContentId(reader.DebugMetadataHeader!.Id);
        Assert.Equal(pe.ReadCodeViewDebugDirectoryData(codeView).Guid, pdbId.Guid);
        Assert.True(pe.PEHeaders.CorHeader!.Flags.HasFlag(CorFlags.ILOnly));

        // With a repository URL (a hosted origin, or -p:RepositoryUrl=...) SourceLink maps the sources to it
        // at the packed commit; without one there is nothing to map to, and the PDB embeds no map.
        var url = (string?)Element(Nuspec(id), "repository").Attribute("url");
        var sourceLink = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
            .Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
            .Select(c => System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(c.Value)))
            .SingleOrDefault();
        if (url is null)
        {
            Assert.Null(sourceLink);
        }
        else
        {
            Assert.NotNull(sourceLink);
            Assert.Contains(GitHead(), sourceLink, StringComparison.Ordinal);
        }

        // On CI (CI=true: ContinuousIntegrationBuild) the PDB holds no path of the machine that built it.
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.All(reader.Documents, d => Assert.StartsWith("/_/", reader.GetString(reader.GetDocument(d).Name),
                StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(PackageLayout.ClientId)]
    [InlineData(PackageLayout.ContractsId)]
    public void The_restore_installed_exactly_the_packed_file(string id)
    {
        // NuGet keeps the SHA-512 of the package it extracted beside it: a stale copy of the same version
        // (packed from other sources) would differ from the file the pack just wrote.
        var restored = Path.Combine(
            PackageLayout.Restored(id), $"{id.ToLowerInvariant()}.{PackageLayout.Version}.nupkg.sha512");
        var packed = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(PackageLayout.InFeed(id))));

        Assert.Equal(packed, File.ReadAllText(restored).Trim());
    }

    private static XElement Nuspec(string id)
    {
        using var package = ZipFile.OpenRead(PackageLayout.InFeed(id));
        using var stream = package.GetEntry($"{id}.nuspec")!.Open();
        var nuspec = XDocument.Load(stream).Root!;
        return nuspec.Element(nuspec.Name.Namespace + "metadata")!;
    }

    private static XElement Element(XElement metadata, string name) =>
        metadata.Element(metadata.Name.Namespace + name)
        ?? throw new Xunit.Sdk.XunitException($"nuspec has no <{name}>");

    private static string Value(XElement metadata, string name) => Element(metadata, name).Value;

    private static string AssemblyName(string id) => id; // each package's assembly is named after it

    private static byte[] Read(ZipArchive archive, string path)
    {
        var entry = archive.GetEntry(path) ?? throw new Xunit.Sdk.XunitException($"{path} is not in the package");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The commit the clone is at, which is what scripts/test.sh has just packed.</summary>
    private static string GitHead()
    {
        var info = new ProcessStartInfo("git", ["-C", PackageLayout.RepositoryRoot, "rev-parse", "HEAD"])
        {
            RedirectStandardOutput = true,
        };
        using var git = Process.Start(info) ?? throw new InvalidOperationException("git did not start");
        var head = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
        return head;
    }
}
