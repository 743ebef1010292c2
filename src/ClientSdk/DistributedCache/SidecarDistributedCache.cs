using System.Buffers;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// <see cref="IBufferDistributedCache"/> (and so <see cref="IDistributedCache"/>) over one sidecar namespace:
/// Set is a Put with the entry's TTL, Get a Get, Remove a Delete, and sliding expiration a Touch after each read.
/// The sliding window and absolute deadline travel in the value's content type (<see cref="EntryExpiration"/>).
/// This file holds the asynchronous half; <c>SidecarDistributedCache.Sync.cs</c> the blocking one.
/// </summary>
internal sealed partial class SidecarDistributedCache : IBufferDistributedCache
{
    private readonly SidecarCalls _calls;
    private readonly string _namespace;
    private readonly NamespaceLimitsCache _limits;
    private readonly TimeProvider _time;

    /// <param name="client">
    /// The generated stub, held for the cache's (singleton) lifetime: its HTTP/2 connection to the local sidecar
    /// is the pooled one the client factory gave it, and nothing here needs handler rotation.
    /// </param>
    /// <param name="clientOptions">The SDK's deadline and token, applied to every call.</param>
    /// <param name="namespace">The sidecar namespace entries go to.</param>
    /// <param name="time">The clock that absolute and sliding expirations are measured on.</param>
    public SidecarDistributedCache(Cache.CacheClient client, CacheSidecarClientOptions clientOptions,
        string @namespace, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(clientOptions);
        ArgumentException.ThrowIfNullOrWhiteSpace(@namespace);
        ArgumentNullException.ThrowIfNull(time);
        _calls = new SidecarCalls(client, clientOptions);
        _namespace = @namespace;
        _time = time;
        _limits = new NamespaceLimitsCache(_calls, @namespace, time);
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        (await ReadAsync(key, token).ConfigureAwait(false))?.ToByteArray();

    /// <inheritdoc />
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination,
        CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (await ReadAsync(key, token).ConfigureAwait(false) is not { } value)
        {
            return false;
        }

        destination.Write(value.Span);
        return true;
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options,
        CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteAsync(key, UnsafeByteOperations.UnsafeWrap(value), options, token);
    }

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options,
        CancellationToken token = default) =>
        new(WriteAsync(key, ToByteString(value), options, token));

    /// <inheritdoc />
    /// <remarks>
    /// The contract has no "read the metadata only" call, so a refresh reads the entry (for its sliding window)
    /// and touches it; an entry without a sliding window is left as it is.
    /// </remarks>
    public Task RefreshAsync(string key, CancellationToken token = default) => ReadAsync(key, token);

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var request = DeleteRequestFor(key);
        await _calls.RunAsync(o => _calls.Client.DeleteAsync(request, o), token).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the entry and, when it has a sliding window, slides it; null when it is missing or past its
    /// absolute deadline. The value is not copied: callers copy it where they need to.
    /// </summary>
    private async Task<ByteString?> ReadAsync(string key, CancellationToken token)
    {
        var request = GetRequestFor(key);
        var response = await _calls.RunAsync(o => _calls.Client.GetAsync(request, o), token).ConfigureAwait(false);
        if (Live(response, out var expiration, out var now) is not { } value)
        {
            return null;
        }

        if (expiration.Sliding is not null)
        {
            var limits = await _limits.GetAsync(token).ConfigureAwait(false);
            var touch = TouchRequestFor(key, expiration, now, limits);
            await _calls.RunAsync(o => _calls.Client.TouchAsync(touch, o), token).ConfigureAwait(false);
        }

        return value;
    }

    private async Task WriteAsync(string key, ByteString value, DistributedCacheEntryOptions options,
        CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        var now = _time.GetUtcNow();
        var expiration = EntryExpiration.For(options, now);
        if (expiration.HasExpiredAt(now))
        {
            await RemoveAsync(key, token).ConfigureAwait(false);
            return;
        }

        var limits = expiration == default ? null : await _limits.GetAsync(token).ConfigureAwait(false);
        var request = PutRequestFor(key, value, expiration, now, limits);
        await _calls.RunAsync(o => _calls.Client.PutAsync(request, o), token).ConfigureAwait(false);
    }

    /// <summary>
    /// The value of a Get answer that is still live on this cache's clock, with its expiration and the instant
    /// it was judged at; null when missing or past its absolute deadline. The deadline is checked here and not
    /// only by the TTL: namespace TTL jitter may keep the cache entry a little longer, and a store-backed
    /// namespace keeps the value after its cache entry expired.
    /// </summary>
    private ByteString? Live(GetResponse response, out EntryExpiration expiration, out DateTimeOffset now)
    {
        now = _time.GetUtcNow();
        expiration = response.Found ? EntryExpiration.Parse(response.ContentType) : default;
        return response.Found && !expiration.HasExpiredAt(now) ? response.Value : null;
    }

    private GetRequest GetRequestFor(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new GetRequest { Namespace = _namespace, Key = key };
    }

    private DeleteRequest DeleteRequestFor(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new DeleteRequest { Namespace = _namespace, Key = key };
    }

    /// <summary>The Touch that slides an entry: its window again, capped by its absolute deadline.</summary>
    private TouchRequest TouchRequestFor(string key, EntryExpiration expiration, DateTimeOffset now,
        NamespaceLimits limits) => new()
    {
        Namespace = _namespace,
        Key = key,
        Ttl = Duration.FromTimeSpan(expiration.TtlAt(now, limits.MaxTtl)!.Value),
    };

    /// <summary>
    /// The Put that stores an entry: its expiration in the content type, its first TTL (none: the namespace TTL).
    /// <paramref name="limits"/> is null only for an entry without any expiration, which needs none.
    /// </summary>
    private PutRequest PutRequestFor(string key, ByteString value, EntryExpiration expiration, DateTimeOffset now,
        NamespaceLimits? limits)
    {
        if (expiration.Sliding is not null && limits is { HasStore: true })
        {
            // The store would keep (and a later Get load) the value after its window: it would never slide out.
            throw new NotSupportedException(
                $"Sliding expiration needs a pure cache namespace; '{_namespace}' has a store, which keeps "
                    + "values after their cache entry expires. Use a namespace without a Collection, or an "
                    + "absolute expiration.");
        }

        var request = new PutRequest
        {
            Namespace = _namespace,
            Key = key,
            Value = value,
            ContentType = expiration.ToContentType(),
        };
        if (limits is not null && expiration.TtlAt(now, limits.MaxTtl) is { } ttl)
        {
            request.Ttl = Duration.FromTimeSpan(ttl);
        }

        return request;
    }

    /// <summary>
    /// A contiguous value is sent as it is; a multi-segment one is copied once into one array (protobuf bytes
    /// are contiguous). Either way the caller may reuse its buffers once the call has returned.
    /// </summary>
    private static ByteString ToByteString(ReadOnlySequence<byte> value)
    {
        if (value.IsSingleSegment)
        {
            return UnsafeByteOperations.UnsafeWrap(value.First);
        }

        var bytes = new byte[value.Length];
        value.CopyTo(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }
}
