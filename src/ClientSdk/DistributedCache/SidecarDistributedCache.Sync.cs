using System.Buffers;
using Google.Protobuf;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// The blocking half of the interface (session middleware and older callers use it). Each call is the stub's
/// own blocking call, the same requests and the same rules as the asynchronous half, not a wait on a task.
/// </summary>
internal sealed partial class SidecarDistributedCache
{
    /// <inheritdoc />
    public byte[]? Get(string key) => Read(key)?.ToByteArray();

    /// <inheritdoc />
    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Read(key) is not { } value)
        {
            return false;
        }

        destination.Write(value.Span);
        return true;
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        Write(key, UnsafeByteOperations.UnsafeWrap(value), options);
    }

    /// <inheritdoc />
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        Write(key, ToByteString(value), options);

    /// <inheritdoc />
    public void Refresh(string key) => Read(key);

    /// <inheritdoc />
    public void Remove(string key)
    {
        var request = DeleteRequestFor(key);
        _calls.Run(o => _calls.Client.Delete(request, o));
    }

    private ByteString? Read(string key)
    {
        var request = GetRequestFor(key);
        var response = _calls.Run(o => _calls.Client.Get(request, o));
        if (Live(response, out var expiration, out var now) is not { } value)
        {
            return null;
        }

        if (expiration.Sliding is not null)
        {
            var touch = TouchRequestFor(key, expiration, now, _limits.Get());
            _calls.Run(o => _calls.Client.Touch(touch, o));
        }

        return value;
    }

    private void Write(string key, ByteString value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        var now = _time.GetUtcNow();
        var expiration = EntryExpiration.For(options, now);
        if (expiration.HasExpiredAt(now))
        {
            Remove(key);
            return;
        }

        var request = PutRequestFor(key, value, expiration, now, expiration == default ? null : _limits.Get());
        _calls.Run(o => _calls.Client.Put(request, o));
    }
}
