namespace CacheSidecar.Redis;

/// <summary>
/// The write-behind fields of an entry hash (<c>cs:{ns:p}:e:&lt;key&gt;</c>, decision 0019): while a
/// write-behind write awaits its flush, its entry is also its pending record. The enqueue step writes the
/// value once, marks the entry <see cref="Marker"/> and removes its expiry; the flusher clears the marker
/// and gives the entry back its expiry once the store holds that version. Until then no invalidation
/// removes the value (it hides it from the cache path instead, see <see cref="EntryHash.WriteFloor"/>),
/// and Redis never evicts it under the volatile-* policies (it has no TTL).
/// </summary>
internal static class PendingHash
{
    public const string Version = EntryHash.Version;
    public const string ContentType = EntryHash.ContentType;
    public const string Data = EntryHash.Data;

    /// <summary>"1" for a delete (tombstone).</summary>
    public const string Tombstone = EntryHash.Negative;

    /// <summary>"1" while the entry's version awaits its flush.</summary>
    public const string Marker = "p";

    /// <summary>The value's tags, joined by '\n' (<c>Core.Tags</c>), for the store; empty when untagged.</summary>
    public const string Tags = "s";

    /// <summary>The consumer that claimed the write for flushing.</summary>
    public const string ClaimedBy = "o";

    /// <summary>When it claimed it (Redis server time, unix ms).</summary>
    public const string ClaimedAt = "oc";

    /// <summary>
    /// Lua: the fields of a pending record of the two-record layout (before decision 0019) to read with
    /// <c>HMGET</c>: version, content type, data, tombstone, tags for the store, in that order.
    /// </summary>
    public const string LegacyFields = "'v', 'c', 'd', 'n', 't'";
}
