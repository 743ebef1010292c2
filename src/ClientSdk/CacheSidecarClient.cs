using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using CacheSidecar.Client.NearCache;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Client;

/// <summary>
/// Typed client for the CacheSidecar. Thin by design: one method per RPC, values serialized
/// with <see cref="ICacheValueSerializer"/>, a default deadline on every call, and failures
/// surfaced as <see cref="CacheSidecarException"/> carrying the gRPC status.
/// </summary>
public sealed class CacheSidecarClient
{
    private readonly Cache.CacheClient _client;
    private readonly CacheSidecarClientOptions _options;
    private readonly SidecarNearCache? _nearCache;

    /// <summary>Creates a client over generated stubs (usually from DI, see <c>AddCacheSidecarClient</c>).</summary>
    /// <param name="client">The generated stub.</param>
    /// <param name="options">Address, deadline, token, serializer.</param>
    /// <param name="nearCache">The process's near caches (<see cref="CacheSidecarClientOptions.NearCaches"/>); reads
    /// of those namespaces are answered from memory while their invalidations stream, and this client's writes
    /// drop the keys they wrote.</param>
    public CacheSidecarClient(Cache.CacheClient client, IOptions<CacheSidecarClientOptions> options,
        SidecarNearCache? nearCache = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _nearCache = nearCache;
    }

    /// <summary>The generated stub, for calls this wrapper does not cover.</summary>
    public Cache.CacheClient Raw => _client;

    /// <summary>Reads one key; null when it does not exist.</summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public Task<CacheItem<T>?> GetAsync<T>(string @namespace, string key,
        CancellationToken cancellationToken = default)
    {
        if (_nearCache?.For(@namespace) is not { } near)
        {
            return ReadItemAsync<T>(@namespace, key, cancellationToken);
        }

        // A hit completes here, synchronously: no sidecar call, no state machine.
        return near.TryGetItem(key, response => ToItem<T>(response)!, out var hit)
            ? Task.FromResult<CacheItem<T>?>(hit)
            : LoadThroughNearCacheAsync<T>(near, @namespace, key, cancellationToken);
    }

    private async Task<CacheItem<T>?> ReadItemAsync<T>(string @namespace, string key,
        CancellationToken cancellationToken) =>
        ToItem<T>(await ReadAsync(@namespace, key, cancellationToken).ConfigureAwait(false));

    private async Task<CacheItem<T>?> LoadThroughNearCacheAsync<T>(NamespaceNearCache near, string @namespace,
        string key, CancellationToken cancellationToken)
    {
        var (answer, hit) = await near.GetAsync(key, (k, token) => ReadAsync(@namespace, k, token),
            cancellationToken).ConfigureAwait(false);
        return ToItem<T>(answer) is { } item ? item with { FromNearCache = hit } : null;
    }

    private Task<GetResponse> ReadAsync(string @namespace, string key, CancellationToken cancellationToken) =>
        Call(options => _client.GetAsync(new GetRequest { Namespace = @namespace, Key = key }, options),
            cancellationToken);

    /// <summary>
    /// Reads many keys of one namespace in one call; one entry per key, in order (null where missing).
    /// </summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task<IReadOnlyList<CacheItem<T>?>> BatchGetAsync<T>(string @namespace, IEnumerable<string> keys,
        CancellationToken cancellationToken = default)
    {
        var wanted = keys.ToList();
        var answers = new GetResponse?[wanted.Count];
        var near = _nearCache?.For(@namespace);
        var request = new BatchGetRequest { Namespace = @namespace };
        var missed = new List<(int Index, (long, long) Ticket)>();
        for (var i = 0; i < wanted.Count; i++)
        {
            if (near is not null && near.TryGet(wanted[i], out var hit))
            {
                answers[i] = hit;
                continue;
            }

            missed.Add((i, near?.BeginRead(wanted[i]) ?? default));
            request.Keys.Add(wanted[i]);
        }

        if (missed.Count > 0)
        {
            var response = await Call(options => _client.BatchGetAsync(request, options), cancellationToken)
                .ConfigureAwait(false);
            for (var j = 0; j < missed.Count; j++)
            {
                var (index, ticket) = missed[j];
                answers[index] = response.Items[j].Result;
                near?.Offer(wanted[index], ticket, response.Items[j].Result);
            }
        }

        return answers.Select(answer => ToItem<T>(answer!)).ToList();
    }

    /// <summary>Writes one key through the namespace's strategy.</summary>
    /// <exception cref="CacheSidecarException">
    /// The sidecar answered with an error status (e.g. <c>FailedPrecondition</c> for an etag mismatch).
    /// </exception>
    public Task<PutResult> PutAsync<T>(string @namespace, string key, T value, PutOptions? putOptions = null,
        CancellationToken cancellationToken = default) =>
        PutAsync(PutRequestFor(@namespace, key, value, putOptions, ifAbsent: false), cancellationToken);

    /// <summary>
    /// Creates the key only if it has no live value (<c>if_none_match: "*"</c>), atomically: of concurrent
    /// creators exactly one succeeds, on every strategy.
    /// </summary>
    /// <exception cref="CacheSidecarException">
    /// <c>FailedPrecondition</c> when the key already has a value (nothing is written), or another error status.
    /// </exception>
    public Task<PutResult> AddAsync<T>(string @namespace, string key, T value, TimeSpan? ttl = null,
        CancellationToken cancellationToken = default) =>
        PutAsync(PutRequestFor(@namespace, key, value, new PutOptions(ttl), ifAbsent: true), cancellationToken);

    /// <summary>
    /// Like <see cref="AddAsync{T}"/>, but returns null instead of throwing when the key already has a value.
    /// </summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with another error status.</exception>
    public async Task<PutResult?> TryAddAsync<T>(string @namespace, string key, T value, TimeSpan? ttl = null,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await AddAsync(@namespace, key, value, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheSidecarException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            return null;
        }
    }

    /// <summary>
    /// Adds <paramref name="delta"/> (negative to subtract) to the key's int64 counter, exactly under
    /// concurrency, and returns the new value; a key without a value counts as 0. The counter is stored as
    /// an <c>application/json</c> integer, so <c>GetAsync&lt;long&gt;</c> reads it.
    /// </summary>
    /// <exception cref="CacheSidecarException">
    /// <c>FailedPrecondition</c> when the key holds something other than an integer, <c>OutOfRange</c> when
    /// the sum would not fit in an int64 (nothing is written either way), or another error status.
    /// </exception>
    public async Task<long> IncrementAsync(string @namespace, string key, long delta = 1, TimeSpan? ttl = null,
        CancellationToken cancellationToken = default)
    {
        var request = new IncrementRequest { Namespace = @namespace, Key = key, Delta = delta };
        if (ttl is { } entryTtl)
        {
            request.Ttl = Duration.FromTimeSpan(entryTtl);
        }

        var response = await Write(
                @namespace, [key], options => _client.IncrementAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
        return response.Value;
    }

    private async Task<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken)
    {
        var response = await Write(
                request.Namespace, [request.Key], options => _client.PutAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
        return new PutResult(response.Etag, response.Persisted, response.Queued);
    }

    private PutRequest PutRequestFor<T>(string @namespace, string key, T value, PutOptions? putOptions,
        bool ifAbsent)
    {
        var request = new PutRequest
        {
            Namespace = @namespace,
            Key = key,
            Value = UnsafeByteOperations.UnsafeWrap(_options.Serializer.Serialize(value)),
            ContentType = _options.Serializer.ContentType,
            IfMatch = putOptions?.IfMatch ?? string.Empty,
            IfNoneMatch = ifAbsent ? "*" : string.Empty,
        };
        if (putOptions?.Ttl is { } ttl)
        {
            request.Ttl = Duration.FromTimeSpan(ttl);
        }

        if (putOptions?.Tags is { } tags)
        {
            request.Tags.AddRange(tags);
        }

        return request;
    }

    /// <summary>Deletes one key from the store and the cache; returns whether it existed.</summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task<bool> DeleteAsync(string @namespace, string key, string? ifMatch = null,
        CancellationToken cancellationToken = default)
    {
        var request = new DeleteRequest { Namespace = @namespace, Key = key, IfMatch = ifMatch ?? string.Empty };
        var response = await Write(
                @namespace, [key], options => _client.DeleteAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
        return response.Deleted;
    }

    /// <summary>
    /// Drops the cache entries of <paramref name="keys"/> (the store is untouched); returns how many were cached.
    /// </summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task<int> InvalidateAsync(string @namespace, IEnumerable<string> keys,
        CancellationToken cancellationToken = default)
    {
        var request = new InvalidateRequest { Namespace = @namespace };
        request.Keys.AddRange(keys);
        var response = await Write(
                @namespace, request.Keys, options => _client.InvalidateAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
        return response.Invalidated;
    }

    /// <summary>
    /// Writes many keys in one call (BatchPut), each through the namespace's strategy, with the same
    /// options for every item. Nothing is atomic across keys: one result per item, in order, each with
    /// its own status. The call as a whole fails (nothing written) only for bad input.
    /// </summary>
    /// <exception cref="CacheSidecarException">
    /// The sidecar refused the batch (<c>InvalidArgument</c>: empty, over 1,000 items, a key twice, a bad item).
    /// </exception>
    public async Task<IReadOnlyList<PutManyResult>> PutManyAsync<T>(string @namespace,
        IEnumerable<KeyValuePair<string, T>> items, PutOptions? putOptions = null,
        CancellationToken cancellationToken = default)
    {
        var request = new BatchPutRequest { Namespace = @namespace };
        foreach (var (key, value) in items)
        {
            var item = new BatchPutItem
            {
                Key = key,
                Value = UnsafeByteOperations.UnsafeWrap(_options.Serializer.Serialize(value)),
                ContentType = _options.Serializer.ContentType,
                IfMatch = putOptions?.IfMatch ?? string.Empty,
            };
            if (putOptions?.Ttl is { } ttl)
            {
                item.Ttl = Duration.FromTimeSpan(ttl);
            }

            if (putOptions?.Tags is { } tags)
            {
                item.Tags.AddRange(tags);
            }

            request.Items.Add(item);
        }

        var keys = request.Items.Select(i => i.Key).ToList();
        var response = await Write(@namespace, keys, options => _client.BatchPutAsync(request, options),
                cancellationToken)
            .ConfigureAwait(false);
        return response.Items
            .Select(r => new PutManyResult(
                r.Key,
                (StatusCode)r.Code,
                r.Message,
                r.Code == 0 ? new PutResult(r.Etag, r.Persisted, r.Queued) : null))
            .ToList();
    }

    /// <summary>
    /// Gives the key's cached value a new remaining TTL without rewriting it (the store is untouched).
    /// Returns false when no live value is cached; nothing is created then.
    /// </summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task<bool> TouchAsync(string @namespace, string key, TimeSpan ttl,
        CancellationToken cancellationToken = default)
    {
        var request = new TouchRequest
        {
            Namespace = @namespace,
            Key = key,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(ttl),
        };
        var response = await Write(
                @namespace, [key], options => _client.TouchAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
        return response.Found;
    }

    /// <summary>
    /// Stops every value written with any of <paramref name="tags"/> (<see cref="PutOptions.Tags"/>) from being
    /// served from any cache, on every sidecar and its near cache, in O(1) per tag; the store is untouched, so
    /// the next read loads the value again. Like HybridCache's <c>RemoveByTagAsync</c>, but shared by all
    /// instances and languages.
    /// </summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task InvalidateTagsAsync(string @namespace, IEnumerable<string> tags,
        CancellationToken cancellationToken = default)
    {
        var request = new InvalidateTagsRequest { Namespace = @namespace };
        request.Tags.AddRange(tags);
        await Write(@namespace, keys: null, options => _client.InvalidateTagsAsync(request, options), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Drops every cache entry of the namespace in O(1); the store is untouched.</summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task InvalidateNamespaceAsync(string @namespace, CancellationToken cancellationToken = default) =>
        await Write(
                @namespace,
                keys: null,
                options => _client.InvalidateAsync(
                    new InvalidateRequest { Namespace = @namespace, WholeNamespace = true },
                    options),
                cancellationToken)
            .ConfigureAwait(false);

    /// <summary>The effective policy of every namespace.</summary>
    /// <exception cref="CacheSidecarException">The sidecar answered with an error status.</exception>
    public async Task<IReadOnlyList<NamespacePolicy>> ListNamespacesAsync(CancellationToken cancellationToken = default)
    {
        var response = await Call(
                options => _client.ListNamespacesAsync(new ListNamespacesRequest(), options),
                cancellationToken)
            .ConfigureAwait(false);
        return response.Namespaces;
    }

    private CacheItem<T>? ToItem<T>(GetResponse response) => response.Found
        ? new CacheItem<T>(
            _options.Serializer.Deserialize<T>(response.Value.Span, response.ContentType),
            response.Etag,
            response.Source,
            response.Stale,
            response.TtlRemaining?.ToTimeSpan())
        : null;

    /// <summary>
    /// A call that changes <paramref name="keys"/> (null: the whole namespace). Afterwards, even when it failed (it
    /// may still have changed them), this process's near cache drops them: it reads its own writes at once.
    /// </summary>
    private async Task<TResponse> Write<TResponse>(string @namespace, IReadOnlyCollection<string>? keys,
        Func<CallOptions, AsyncUnaryCall<TResponse>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await Call(call, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (_nearCache?.For(@namespace) is { } near)
            {
                if (keys is null)
                {
                    near.Clear();
                }
                else
                {
                    foreach (var key in keys)
                    {
                        near.Drop(key);
                    }
                }
            }
        }
    }

    private async Task<TResponse> Call<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call,
        CancellationToken cancellationToken)
    {
        Metadata? headers = null;
        if (_options.BearerToken is { Length: > 0 } token)
        {
            headers = new Metadata { { "authorization", "Bearer " + token } };
        }

        var options = new CallOptions(headers, DateTime.UtcNow + _options.DefaultDeadline, cancellationToken);
        try
        {
            return await call(options).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw new CacheSidecarException(ex);
        }
    }
}
