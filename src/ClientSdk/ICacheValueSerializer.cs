using System.Text.Json;

namespace CacheSidecar.Client;

/// <summary>Turns typed values into the bytes and content type the sidecar stores, and back.</summary>
public interface ICacheValueSerializer
{
    /// <summary>The content type written with every value, e.g. <c>application/json</c>.</summary>
    string ContentType { get; }

    /// <summary>Serializes <paramref name="value"/>.</summary>
    byte[] Serialize<T>(T value);

    /// <summary>Deserializes bytes that were stored with <paramref name="contentType"/>.</summary>
    T Deserialize<T>(ReadOnlySpan<byte> data, string contentType);
}
