using System.Globalization;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace CacheSidecar.Bench.Api;

/// <summary>The rows of the <c>api</c> command and the call each one makes.</summary>
internal static class ApiScenarios
{
    public const string GetHit = "Sidecar Get, cache hit (CacheAside)";
    public const string TaggedGetHit = "Sidecar Get, cache hit of a tagged entry (2 tags, CacheAside)";
    public const string PutWriteThrough = "Sidecar Put, write-through";
    public const string IncrementPureCache = "Increment, pure cache (Ttl, no collection)";
    public const string IncrementWriteBehind = "Increment, write-behind (flushers running)";
    public const string IncrementWriteThrough = "Increment, write-through";
    public const string BatchPut10 = "BatchPut, 10 items per call (write-behind)";
    public const string BatchPut100 = "BatchPut, 100 items per call (write-behind)";

    public const int GetKeys = 1_000;
    public const int PutKeys = 10_000;
    public const int CounterKeys = 1_000;

    /// <summary>Tags written with every entry of the tagged row: one shared by all, one by a tenth of the keys.</summary>
    public const int TagsPerEntry = 2;

    /// <summary>The keys each read row cycles over; written and read into the cache by <see cref="Prefill"/>.</summary>
    public static string[] GetHitKeys { get; } = Payload.Keys("g", GetKeys);

    public static string[] TaggedKeys { get; } = Payload.Keys("t", GetKeys);

    private static readonly ByteString Value = ByteString.CopyFrom(Payload.JsonValue);

    /// <summary>The tags of tagged key number <paramref name="index"/>.</summary>
    public static string[] TagsOf(int index) => ["bench-all", string.Create(CultureInfo.InvariantCulture, $"bench-group-{index % 10}")];

    /// <summary>All eight rows in the brief's order (a build without write-behind skips those rows: <see cref="IsWriteBehind"/>).</summary>
    public static IReadOnlyList<ApiScenario> Build(Cache.CacheClient cache)
    {
        var putKeys = Payload.Keys("p", PutKeys);
        var counterKeys = Payload.Keys("c", CounterKeys);
        var batches10 = BatchRequests(BenchNamespaces.BatchPutWriteBehind, Payload.Keys("b", PutKeys), 10);
        var batches100 = BatchRequests(BenchNamespaces.BatchPutWriteBehind, Payload.Keys("b", PutKeys), 100);

        return
        [
            new(GetHit, 1, null, async (sequence, ct) =>
                (await cache.GetAsync(new GetRequest { Namespace = BenchNamespaces.GetHit, Key = GetHitKeys[sequence % GetKeys] }, cancellationToken: ct))
                    is { Found: true, Source: ValueSource.Cache }),
            new(TaggedGetHit, 1, null, async (sequence, ct) =>
                (await cache.GetAsync(new GetRequest { Namespace = BenchNamespaces.TaggedGetHit, Key = TaggedKeys[sequence % GetKeys] }, cancellationToken: ct))
                    is { Found: true, Source: ValueSource.Cache }),
            new(PutWriteThrough, 1, null, async (sequence, ct) =>
                (await cache.PutAsync(
                    new PutRequest { Namespace = BenchNamespaces.ApiPutWriteThrough, Key = putKeys[sequence % PutKeys], Value = Value, ContentType = Payload.JsonContentType },
                    cancellationToken: ct)).Persisted),
            // Counters only grow (delta 1 from 0), so a value ≤ 0 would be a wrong answer.
            new(IncrementPureCache, 1, null, async (sequence, ct) =>
                (await Increment(cache, BenchNamespaces.IncrementPureCache, counterKeys[sequence % CounterKeys], ct)) is { Persisted: true, Value: > 0 }),
            new(IncrementWriteBehind, 1, BenchNamespaces.IncrementWriteBehind, async (sequence, ct) =>
                (await Increment(cache, BenchNamespaces.IncrementWriteBehind, counterKeys[sequence % CounterKeys], ct)) is { Queued: true, Value: > 0 }),
            new(IncrementWriteThrough, 1, null, async (sequence, ct) =>
                (await Increment(cache, BenchNamespaces.IncrementWriteThrough, counterKeys[sequence % CounterKeys], ct)) is { Persisted: true, Value: > 0 }),
            new(BatchPut10, 10, BenchNamespaces.BatchPutWriteBehind, (sequence, ct) => BatchPutAsync(cache, batches10[sequence % batches10.Length], ct)),
            new(BatchPut100, 100, BenchNamespaces.BatchPutWriteBehind, (sequence, ct) => BatchPutAsync(cache, batches100[sequence % batches100.Length], ct)),
        ];
    }

    public static bool IsWriteBehind(ApiScenario scenario) => scenario.WriteBehindNamespace is not null;

    private static async Task<IncrementResponse> Increment(Cache.CacheClient cache, string ns, string key, CancellationToken cancellationToken) =>
        await cache.IncrementAsync(new IncrementRequest { Namespace = ns, Key = key, Delta = 1 }, cancellationToken: cancellationToken);

    /// <summary>
    /// OK only if every item is OK (code 0) and queued. A failed item is thrown as the status it carries,
    /// so the report shows its code and message as it would for a failed single Put.
    /// </summary>
    private static async ValueTask<bool> BatchPutAsync(Cache.CacheClient cache, BatchPutRequest request, CancellationToken cancellationToken)
    {
        var reply = await cache.BatchPutAsync(request, cancellationToken: cancellationToken);
        if (reply.Items.Count != request.Items.Count)
        {
            return false;
        }

        foreach (var item in reply.Items)
        {
            if (item.Code != 0)
            {
                throw new RpcException(new Status((StatusCode)item.Code, $"BatchPut item '{item.Key}': {item.Message}"));
            }
        }

        return reply.Items.All(item => item.Queued);
    }

    /// <summary>
    /// The batches, built once: consecutive slices of <paramref name="keys"/>, so no batch names a key
    /// twice (which the sidecar refuses) and every key is written as often. Building 100-item requests
    /// on every call would spend the shared cores on the load generator rather than the sidecar.
    /// </summary>
    private static BatchPutRequest[] BatchRequests(string ns, string[] keys, int itemsPerCall)
    {
        if (keys.Length % itemsPerCall != 0)
        {
            throw new InvalidOperationException($"{keys.Length} keys do not split into batches of {itemsPerCall}.");
        }

        return keys.Chunk(itemsPerCall).Select(slice =>
        {
            var request = new BatchPutRequest { Namespace = ns };
            request.Items.AddRange(slice.Select(key => new BatchPutItem { Key = key, Value = Value, ContentType = Payload.JsonContentType }));
            return request;
        }).ToArray();
    }
}
