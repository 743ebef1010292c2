namespace CacheSidecar.CacheTier;

/// <summary>
/// What an invalidation leaves in the entry's slot: the version it dropped (or the change's, when
/// newer), marked with a generation no partition ever has, so it never counts as an entry. The
/// version-guarded set of write-through compares with it: a Put whose cache step arrives after a
/// newer Put and an Invalidate cannot install its older value into the emptied slot (the store
/// already holds the newer one; the next read loads that). Fills ignore floors: their lease
/// already protects them.
/// </summary>
internal static class VersionFloor
{
    /// <summary>A generation below every partition's (they start at 0 and only grow).</summary>
    public const long Generation = -1;

    /// <summary>
    /// How long a floor outlives its entry at least: far longer than the step from a Put's store
    /// write to its cache set, which runs right after it.
    /// </summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
}
