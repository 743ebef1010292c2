namespace CacheSidecar.Redis;

/// <summary>
/// The fields of a write-behind pending record (<c>cs:{ns:p}:p:&lt;key&gt;</c>): the newest
/// acknowledged value of a key not yet in the store, and the flusher that claimed it.
/// </summary>
internal static class PendingHash
{
    public const string Version = EntryHash.Version;
    public const string ContentType = EntryHash.ContentType;
    public const string Data = EntryHash.Data;

    /// <summary>"1" for a delete (tombstone).</summary>
    public const string Tombstone = EntryHash.Negative;

    /// <summary>The value's tags, joined by '\n' (<c>Core.Tags</c>), for the store; empty when untagged.</summary>
    public const string Tags = EntryHash.Tags;

    /// <summary>The consumer that claimed the record for flushing.</summary>
    public const string ClaimedBy = "o";

    /// <summary>When it claimed it (Redis server time, unix ms).</summary>
    public const string ClaimedAt = "oc";
}
