using System.Text.Json;

namespace CacheSidecar.Core;

/// <summary>
/// Which JSON values the sidecar accepts: every one must become a native document in the store
/// and read back as the same JSON. Checked by the API before anything is written.
/// </summary>
internal static class StorableJson
{
    /// <summary>
    /// Why a parsed JSON value cannot become BSON (and read back as the same JSON), or null when it
    /// can: BSON names are NUL-terminated, and a number beyond double range would be stored as
    /// infinity, which JSON cannot express. Checked before anything is written; the reason never
    /// quotes the value.
    /// </summary>
    public static string? Unstorable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name.Contains('\0', StringComparison.Ordinal))
                    {
                        return "a property name contains U+0000";
                    }

                    if (Unstorable(property.Value) is { } reason)
                    {
                        return reason;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Unstorable(item) is { } reason)
                    {
                        return reason;
                    }
                }

                return null;
            case JsonValueKind.Number:
                return element.TryGetInt64(out _) || (element.TryGetDouble(out var number) && double.IsFinite(number))
                    ? null
                    : "a number is beyond the range of a 64-bit float";
            default:
                return null;
        }
    }
}
