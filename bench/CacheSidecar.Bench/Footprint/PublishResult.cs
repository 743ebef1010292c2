namespace CacheSidecar.Bench.Footprint;

/// <summary>What one <c>dotnet publish</c> produced.</summary>
/// <param name="Variant">What was published.</param>
/// <param name="OutputDirectory">The publish directory (temporary), or null when the build failed.</param>
/// <param name="Elapsed">Wall-clock time of the publish (restore and compile included).</param>
/// <param name="Warnings">Every distinct warning line, parsed.</param>
/// <param name="FirstError">The first error line when the build failed, else null.</param>
/// <param name="ShippedBytes">Bytes of the publish directory without symbol files (.pdb, .dbg): what an image would carry.</param>
/// <param name="SymbolBytes">Bytes of the symbol files, reported beside it (an image would normally leave them out).</param>
internal sealed record PublishResult(
    PublishVariant Variant,
    string? OutputDirectory,
    TimeSpan Elapsed,
    IReadOnlyList<BuildWarning> Warnings,
    string? FirstError,
    long ShippedBytes,
    long SymbolBytes)
{
    public bool Succeeded => OutputDirectory is not null;

    /// <summary>
    /// How to start it: the native executable (apphost of a self-contained publish, or the Native AOT
    /// binary) when the publish has one, else <c>dotnet CacheSidecar.dll</c> as the Dockerfile's image does.
    /// Decided once, at the publish: the directory is deleted before the report is written.
    /// </summary>
    public (string FileName, IReadOnlyList<string> Arguments) Command { get; } = Launcher(OutputDirectory);

    /// <summary>Either <c>./CacheSidecar</c> (native) or <c>dotnet CacheSidecar.dll</c>, for the report.</summary>
    public string StartedAs => Command.FileName == "dotnet" ? "dotnet CacheSidecar.dll" : "./CacheSidecar";

    private static (string FileName, IReadOnlyList<string> Arguments) Launcher(string? directory)
    {
        if (directory is null)
        {
            return ("", []);
        }

        var executable = Path.Combine(directory, "CacheSidecar");
        return File.Exists(executable) ? (executable, []) : ("dotnet", [Path.Combine(directory, "CacheSidecar.dll")]);
    }
}
