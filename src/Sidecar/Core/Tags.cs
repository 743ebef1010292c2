namespace CacheSidecar.Core;

/// <summary>
/// Tags as one string for a Redis hash field or a SQLite column: joined by '\n', which a tag cannot
/// contain (tags are validated like keys: no control characters). Empty means untagged.
/// </summary>
internal static class Tags
{
    public const char Separator = '\n';

    public static string Join(IReadOnlyList<string>? tags) =>
        tags is { Count: > 0 } ? string.Join(Separator, tags) : string.Empty;

    public static IReadOnlyList<string>? Split(string? joined) =>
        string.IsNullOrEmpty(joined) ? null : joined.Split(Separator);
}
