using System.Text.Json;

namespace CacheSidecar.Client;

/// <summary>
/// The default serializer: UTF-8 JSON with System.Text.Json, content type <c>application/json</c>,
/// so values are stored as queryable documents in MongoDB.
/// </summary>
public sealed class SystemTextJsonCacheSerializer : ICacheValueSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>
    /// Creates the serializer with <paramref name="options"/> or <see cref="JsonSerializerDefaults.Web"/>.
    /// </summary>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions? options = null) =>
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public string ContentType => "application/json";

    /// <inheritdoc />
    public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, _options);

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlySpan<byte> data, string contentType) =>
        JsonSerializer.Deserialize<T>(data, _options)!;
}
