using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Net.Client;
using StackExchange.Redis;

namespace CacheSidecar.Bench.FastPath;

/// <summary>
/// The calls every fastpath scenario makes, over one <see cref="GrpcChannel"/> (one HTTP/2
/// connection) and the bench's one Redis multiplexer. Requests are built once, before any load, so
/// the load generator spends the shared cores on calls rather than on building messages. Each
/// operation returns false when the answer is not the expected one.
/// </summary>
internal sealed class FastPathCalls : IDisposable
{
    public const int GetKeyCount = 1_000;
    public const int PutKeyCount = 10_000;

    private readonly GrpcChannel _channel;
    private readonly IDatabase _redis;
    private readonly RedisKey[] _rawKeys;
    private readonly GetRequest[] _gets;
    private readonly GetRequest[] _hotGets;
    private readonly Dictionary<int, BatchGetRequest[]> _batches = [];
    private readonly ListNamespacesRequest _listNamespaces = new();

    private FastPathCalls(GrpcChannel channel, IDatabase redis, RedisKey[] rawKeys, string[] getKeys, string[] hotKeys)
    {
        _channel = channel;
        Cache = new Cache.CacheClient(channel);
        _redis = redis;
        _rawKeys = rawKeys;
        GetKeys = getKeys;
        HotKeys = hotKeys;
        _gets = getKeys.Select(key => new GetRequest { Namespace = BenchNamespaces.GetHit, Key = key }).ToArray();
        _hotGets = hotKeys.Select(key => new GetRequest { Namespace = BenchNamespaces.NearCacheGet, Key = key }).ToArray();
    }

    public Cache.CacheClient Cache { get; }

    /// <summary>Protobuf size of the ListNamespaces reply (every namespace's policy) and of a Get-hit reply (1 KB value plus metadata).</summary>
    public (int NoOp, int GetHit) ReplyBytes { get; private set; }

    /// <summary>Keys of the Get-hit namespace (all cache hits once prefilled).</summary>
    public string[] GetKeys { get; }

    /// <summary>Keys of the L1 namespace (empty when the build has no near-cache).</summary>
    public string[] HotKeys { get; }

    /// <summary>
    /// Fills Redis for the direct GET, the Get-hit namespace (Put, Get to fill, Get to prove the hit)
    /// and, when configured, the L1 namespace's hot keys (plus reads so they sit in this instance's L1).
    /// </summary>
    public static async Task<FastPathCalls> PrepareAsync(
        SidecarProcess sidecar, BackingServers servers, FastPathConfiguration configuration, int hotKeyCount, int concurrency, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress(sidecar.Address);
        try
        {
            var cache = new Cache.CacheClient(channel);
            var redis = servers.Redis.GetDatabase();
            var rawKeys = await Prefill.RawRedisKeysAsync(redis, "bench:raw:", GetKeyCount);
            var getKeys = Payload.Keys("g", GetKeyCount);
            await Prefill.GetHitKeysAsync(cache, BenchNamespaces.GetHit, getKeys, concurrency, cancellationToken);
            var hotKeys = Array.Empty<string>();
            if (configuration.NearCache)
            {
                hotKeys = Payload.Keys("h", hotKeyCount);
                await Prefill.GetHitKeysAsync(cache, BenchNamespaces.NearCacheGet, hotKeys, concurrency, cancellationToken);
            }

            var calls = new FastPathCalls(channel, redis, rawKeys, getKeys, hotKeys);
            calls.ReplyBytes = (
                (await cache.ListNamespacesAsync(calls._listNamespaces, cancellationToken: cancellationToken)).CalculateSize(),
                (await cache.GetAsync(calls._gets[0], cancellationToken: cancellationToken)).CalculateSize());
            return calls;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>GET of a 1 KB value straight from Redis (no sidecar), 1,000 keys cycled.</summary>
    public async ValueTask<bool> DirectRedisGet(long sequence, CancellationToken cancellationToken) =>
        (await _redis.StringGetAsync(_rawKeys[sequence % _rawKeys.Length])).Length() == Payload.ValueBytes;

    /// <summary><c>Cache/ListNamespaces</c>: answered from memory, no backend work.</summary>
    public async ValueTask<bool> ListNamespaces(long sequence, CancellationToken cancellationToken) =>
        (await Cache.ListNamespacesAsync(_listNamespaces, cancellationToken: cancellationToken)).Namespaces.Count > 0;

    /// <summary>Get in the CacheAside namespace, 1,000 keys cycled; must be found with source CACHE.</summary>
    public async ValueTask<bool> GetHit(long sequence, CancellationToken cancellationToken) =>
        (await Cache.GetAsync(_gets[sequence % _gets.Length], cancellationToken: cancellationToken)) is { Found: true, Source: ValueSource.Cache, Value.Length: Payload.ValueBytes };

    /// <summary>Get in the L1 namespace over its few hot keys; must be found with source CACHE (an L1 answer reports CACHE too).</summary>
    public async ValueTask<bool> NearCacheGet(long sequence, CancellationToken cancellationToken) =>
        (await Cache.GetAsync(_hotGets[sequence % _hotGets.Length], cancellationToken: cancellationToken)) is { Found: true, Source: ValueSource.Cache, Value.Length: Payload.ValueBytes };

    /// <summary>A BatchGet operation of <paramref name="size"/> consecutive Get-hit keys; every item must be a hit.</summary>
    public Operation BatchGet(int size)
    {
        if (!_batches.TryGetValue(size, out var requests))
        {
            // Windows of `size` keys starting at every multiple of size (wrapping around the key set).
            requests = Enumerable.Range(0, Math.Max(1, GetKeys.Length / size)).Select(window =>
            {
                var request = new BatchGetRequest { Namespace = BenchNamespaces.GetHit };
                request.Keys.AddRange(Enumerable.Range(window * size, size).Select(i => GetKeys[i % GetKeys.Length]));
                return request;
            }).ToArray();
            _batches[size] = requests;
        }

        return async (sequence, cancellationToken) =>
        {
            var reply = await Cache.BatchGetAsync(requests[sequence % requests.Length], cancellationToken: cancellationToken);
            if (reply.Items.Count != size)
            {
                return false;
            }

            foreach (var item in reply.Items)
            {
                if (item.Result is not { Found: true, Source: ValueSource.Cache })
                {
                    return false;
                }
            }

            return true;
        };
    }

    /// <summary>
    /// A Put operation into <paramref name="ns"/> over 10,000 keys cycled. <paramref name="queued"/>:
    /// the answer must be <c>queued</c> (write-behind); otherwise <c>persisted</c> (the store holds it,
    /// or the namespace has no store).
    /// </summary>
    public static Operation Put(Cache.CacheClient cache, string ns, bool queued)
    {
        var value = ByteString.CopyFrom(Payload.JsonValue);
        var requests = Payload.Keys("p", PutKeyCount)
            .Select(key => new PutRequest { Namespace = ns, Key = key, Value = value, ContentType = Payload.JsonContentType })
            .ToArray();
        return async (sequence, cancellationToken) =>
        {
            var reply = await cache.PutAsync(requests[sequence % requests.Length], cancellationToken: cancellationToken);
            return queued ? reply.Queued : reply.Persisted;
        };
    }

    /// <summary>The framed bytes of one Get-hit request, as sent on the wire (for h2load).</summary>
    public GetRequest FirstGet => _gets[0];

    public void Dispose() => _channel.Dispose();
}
