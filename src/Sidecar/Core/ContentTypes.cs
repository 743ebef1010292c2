namespace CacheSidecar.Core;

/// <summary>Content-type rules shared by validation and the stores.</summary>
internal static class ContentTypes
{
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";

    /// <summary>
    /// True for <c>application/json</c> and any <c>+json</c> type, ignoring parameters such as charset.
    /// </summary>
    public static bool IsJson(string contentType)
    {
        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }

        mediaType = mediaType.Trim();
        return mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
