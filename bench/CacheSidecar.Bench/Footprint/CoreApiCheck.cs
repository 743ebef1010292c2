using CacheSidecar.Bench.Load;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace CacheSidecar.Bench.Footprint;

/// <summary>
/// After a row's load: the core API once, in order, on a key of its own (Put, Get, BatchGet, Invalidate,
/// a Get that must read the store again, Delete, a Get that must miss). The load only takes Get hits; a
/// trimmed or AOT build can serve those and still fail a call that reaches code the load never ran.
/// </summary>
internal static class CoreApiCheck
{
    private const string Key = "core-api-check";

    /// <summary>The calls checked, for the report: "served" means all of them answered as expected.</summary>
    public const string Calls = "Put, Get, BatchGet, Invalidate, Get from the store, Delete, Get miss";

    /// <summary>Null when every call answered as expected, else the first call that did not and why.</summary>
    public static async Task<string?> RunAsync(Cache.CacheClient cache, string ns, CancellationToken cancellationToken)
    {
        var step = "Put";
        try
        {
            var value = ByteString.CopyFrom(Payload.JsonValue);
            await cache.PutAsync(new PutRequest
            {
                Namespace = ns, Key = Key, Value = value, ContentType = Payload.JsonContentType,
            }, cancellationToken: cancellationToken);

            step = "Get";
            var got = await cache.GetAsync(new GetRequest { Namespace = ns, Key = Key }, cancellationToken: cancellationToken);
            Expect(got.Found && got.Value == value, "not the value just put");

            step = "BatchGet";
            var batch = await cache.BatchGetAsync(
                new BatchGetRequest { Namespace = ns, Keys = { Key, Key + "-absent" } }, cancellationToken: cancellationToken);
            Expect(batch.Items.Count == 2 && batch.Items[0].Result.Found && !batch.Items[1].Result.Found, "wrong items");

            step = "Invalidate";
            await cache.InvalidateAsync(new InvalidateRequest { Namespace = ns, Keys = { Key } }, cancellationToken: cancellationToken);

            step = "Get from the store";
            var reread = await cache.GetAsync(new GetRequest { Namespace = ns, Key = Key }, cancellationToken: cancellationToken);
            Expect(reread is { Found: true, Source: ValueSource.Store } && reread.Value == value, "not read back from the store");

            step = "Delete";
            var deleted = await cache.DeleteAsync(new DeleteRequest { Namespace = ns, Key = Key }, cancellationToken: cancellationToken);
            Expect(deleted.Deleted, "nothing deleted");

            step = "Get miss";
            var gone = await cache.GetAsync(new GetRequest { Namespace = ns, Key = Key }, cancellationToken: cancellationToken);
            Expect(!gone.Found, "still found after Delete");
            return null;
        }
        catch (RpcException ex)
        {
            return $"{step} failed: {ex.StatusCode} {ex.Status.Detail}";
        }
        catch (InvalidOperationException ex)
        {
            return $"{step}: {ex.Message}";
        }
    }

    private static void Expect(bool condition, string otherwise)
    {
        if (!condition)
        {
            throw new InvalidOperationException(otherwise);
        }
    }
}
