namespace CacheSidecar.Invalidations;

/// <summary>What one write or invalidation changed: some keys, some tags, or the whole namespace.</summary>
internal readonly record struct InvalidationChange(NoticeKind Kind, IReadOnlyList<string> Items)
{
    public static InvalidationChange OfKeys(IReadOnlyList<string> keys) => new(NoticeKind.Keys, keys);

    public static InvalidationChange OfTags(IReadOnlyList<string> tags) => new(NoticeKind.Tags, tags);

    public static InvalidationChange WholeNamespace { get; } = new(NoticeKind.Namespace, []);
}
