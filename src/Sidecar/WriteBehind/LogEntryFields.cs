namespace CacheSidecar.WriteBehind;

/// <summary>The fields of one entry of a partition's write-behind log (a Redis stream).</summary>
internal static class LogEntryFields
{
    /// <summary>The key written.</summary>
    public const string Key = "k";

    /// <summary>The version the write took.</summary>
    public const string Version = "v";
}
